using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Reports a secret written into an <c>[Extractor]</c> URL (APP1401): a query parameter whose name usually carries one
/// (the rule of <c>UrlRedactor.IsSensitive</c>: <c>api_key</c>, <c>token</c>, <c>client_secret</c>, …) with a literal value,
/// or <c>user:password@</c> in the base URL.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class SecretLiteralAnalyzer : ExtractorAnalyzer
{
    public const string SecretInUrlId = "APP1401";

    /// <summary>Diagnostic property: which constructor argument holds the secret, <c>baseUrl</c> or <c>path</c>.</summary>
    public const string ArgumentProperty = "Argument";

    public static readonly DiagnosticDescriptor SecretInUrl = new(
        SecretInUrlId,
        "Secret written in an extractor URL",
        "The {0} of extractor '{1}' carries a secret in source ({2}); anyone who can read the code or the built assembly can use it. Read it from configuration at run time instead: an input member with [Query(\"{3}\")], or a header in ExtractorOptions.Headers.",
        DiagnosticCategories.Security,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(SecretInUrlId));

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [SecretInUrl];

    /// <inheritdoc/>
    protected override void AnalyzeExtractor(ExtractorContext extractor)
    {
        Check(extractor, extractor.BaseUrl, "baseUrl", "base URL", AttributeSyntaxes.ValueLocation(extractor.BaseUrlArgument, extractor.Syntax), userInfo: true);
        Check(extractor, extractor.Path, "path", "path template", AttributeSyntaxes.ValueLocation(extractor.PathArgument, extractor.Syntax), userInfo: false);
    }

    private static void Check(ExtractorContext extractor, string? url, string argument, string what, Location? location, bool userInfo)
    {
        if (url is null)
        {
            return;
        }

        var secrets = UrlText.SecretParameters(url);
        bool hasUserInfo = userInfo && UrlText.HasUserInfo(url);
        if (secrets.Count == 0 && !hasUserInfo)
        {
            return;
        }

        var found = new List<string>();
        if (hasUserInfo)
        {
            found.Add("user info before '@'");
        }

        found.AddRange(secrets.Select(s => "'" + s.Name + "='"));
        string example = secrets.Count > 0 ? secrets[0].Name : "api_key";
        var properties = ImmutableDictionary<string, string?>.Empty.Add(ArgumentProperty, argument);
        extractor.Report(SecretInUrl, location, properties, what, extractor.Name, string.Join(", ", found), example);
    }
}
