using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Checks how the base URL and the path template combine: a full URL in the path (APP1002), a path without a leading <c>/</c>
/// after a base URL with a path (APP1003), and a base URL with a fragment (APP1004). The generator already rejects a base
/// URL that is not absolute http(s) and malformed placeholders (APP0006).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class EndpointAnalyzer : ExtractorAnalyzer
{
    public const string AbsoluteUrlInPathId = "APP1002";
    public const string PathWithoutLeadingSlashId = "APP1003";
    public const string BaseUrlWithQueryId = "APP1004";

    public static readonly DiagnosticDescriptor AbsoluteUrlInPath = new(
        AbsoluteUrlInPathId,
        "Path template is a full URL",
        "The path template \"{0}\" of extractor '{1}' is a full URL, but it is appended to the base URL \"{2}\"; put the scheme and host in the base URL and only the path in the template",
        DiagnosticCategories.Endpoint,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(AbsoluteUrlInPathId));

    public static readonly DiagnosticDescriptor PathWithoutLeadingSlash = new(
        PathWithoutLeadingSlashId,
        "Path template does not start with '/'",
        "The path template \"{0}\" of extractor '{1}' does not start with '/'; it is appended to the base URL's path ({2}), not resolved like a relative link that would replace its last segment. Start it with '/' to say so.",
        DiagnosticCategories.Endpoint,
        DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(PathWithoutLeadingSlashId));

    public static readonly DiagnosticDescriptor BaseUrlWithQuery = new(
        BaseUrlWithQueryId,
        "Base URL has a fragment",
        "The base URL \"{0}\" of extractor '{1}' has a fragment ('#…'), which is never sent to the server and is dropped from every request; remove it",
        DiagnosticCategories.Endpoint,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(BaseUrlWithQueryId));

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [AbsoluteUrlInPath, PathWithoutLeadingSlash, BaseUrlWithQuery];

    /// <inheritdoc/>
    protected override void AnalyzeExtractor(ExtractorContext extractor)
    {
        string? baseUrl = extractor.BaseUrl;
        string? path = extractor.Path;
        Uri? baseUri = null;
        if (baseUrl is not null && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out baseUri) || (baseUri.Scheme != "http" && baseUri.Scheme != "https")))
        {
            baseUri = null; // the generator reports APP0006
        }

        var pathLocation = AttributeSyntaxes.ValueLocation(extractor.PathArgument, extractor.Syntax);
        if (baseUrl is not null && baseUri is not null)
        {
            // A query is kept: it is added to every request after the path's (HttpExtractor.Combine). A fragment is dropped.
            if (baseUrl.IndexOf('#') >= 0)
            {
                extractor.Report(BaseUrlWithQuery, AttributeSyntaxes.ValueLocation(extractor.BaseUrlArgument, extractor.Syntax), baseUrl, extractor.Name);
            }
        }

        if (path is null)
        {
            return;
        }

        string trimmed = path.Trim();
        if (IsAbsoluteUrl(trimmed))
        {
            extractor.Report(AbsoluteUrlInPath, pathLocation, path, extractor.Name, baseUrl ?? string.Empty);
            return;
        }

        if (baseUri is not null && trimmed.Length > 0 && trimmed[0] != '/' && trimmed[0] != '?' && baseUri.AbsolutePath.Trim('/').Length > 0)
        {
            string combined = baseUrl!.TrimEnd('/') + "/" + trimmed;
            extractor.Report(PathWithoutLeadingSlash, pathLocation, path, extractor.Name, combined);
        }
    }

    private static bool IsAbsoluteUrl(string path)
        => path.StartsWith("//", StringComparison.Ordinal)
           || path.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
           || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
           || (path.IndexOf("://", StringComparison.Ordinal) is int i && i > 0 && path.IndexOf('/') > i && IsScheme(path.Substring(0, i)));

    private static bool IsScheme(string text)
    {
        foreach (char c in text)
        {
            if (!char.IsLetterOrDigit(c) && c != '+' && c != '-' && c != '.')
            {
                return false;
            }
        }

        return text.Length > 0 && char.IsLetter(text[0]);
    }
}
