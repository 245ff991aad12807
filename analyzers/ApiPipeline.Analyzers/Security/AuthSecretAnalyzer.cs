using System;
using System.Collections.Immutable;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// <c>[Auth]</c> <c>Secret</c> and <c>Id</c> <em>name</em> a secret (an environment variable or configuration key); APP1402 reports
/// one whose text looks like the secret itself: a known token prefix (<c>ghp_</c>, <c>sk-</c>, <c>xox…</c>, <c>Bearer </c>, a JWT),
/// base64 padding, whitespace, or a long mix of lower-case letters and digits.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class AuthSecretAnalyzer : ExtractorAnalyzer
{
    public const string LiteralSecretId = "APP1402";

    public static readonly DiagnosticDescriptor LiteralSecret = new(
        LiteralSecretId,
        "Secret value written in [Auth]",
        "[Auth] {0} of extractor '{1}' looks like a secret value ({2}), not the name of one; anyone who can read the code or the built assembly can use it. Store the value in configuration (an environment variable or ExtractorOptions.Credentials) and write its name here, e.g. {0} = \"{3}\".",
        DiagnosticCategories.Security,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(LiteralSecretId));

    private static readonly string[] Prefixes = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "sk-", "sk_live_", "sk_test_", "xox", "AKIA", "eyJ", "glpat-"];

    private static readonly string[] Schemes = ["Bearer ", "Basic ", "Token "];

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [LiteralSecret];

    /// <inheritdoc/>
    protected override void AnalyzeExtractor(ExtractorContext extractor)
    {
        if (extractor.FindAttribute("ApiPipeline.AuthAttribute") is not { } auth)
        {
            return;
        }

        foreach (var setting in new[] { "Secret", "Id" })
        {
            if (auth.Setting<string>(setting) is { } text && Reason(text) is { } reason)
            {
                string example = NameRules.SnakeCase(extractor.Name).ToUpperInvariant() + (setting == "Id" ? "_CLIENT_ID" : "_SECRET");
                extractor.Report(LiteralSecret, auth.ValueLocation(setting), setting, extractor.Name, reason, example);
            }
        }
    }

    /// <summary>Why <paramref name="text"/> looks like a secret value rather than a name, or <see langword="null"/>.</summary>
    internal static string? Reason(string text)
    {
        foreach (var scheme in Schemes)
        {
            if (text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                return $"it starts with '{scheme.TrimEnd()}'";
            }
        }

        foreach (var prefix in Prefixes)
        {
            if (text.StartsWith(prefix, StringComparison.Ordinal) && text.Length > prefix.Length + 4)
            {
                return $"it starts with the token prefix '{prefix}'";
            }
        }

        if (text.Length >= 8 && text.EndsWith("=", StringComparison.Ordinal))
        {
            return "it ends with base64 '=' padding";
        }

        int lower = 0, digits = 0;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                return "it contains whitespace";
            }

            if (c is >= 'a' and <= 'z')
            {
                lower++;
            }
            else if (c is >= '0' and <= '9')
            {
                digits++;
            }
        }

        return text.Length > 20 && lower > 0 && digits >= 4 && text.IndexOf(':') < 0 && text.IndexOf('.') < 0
            ? "it is a long mix of lower-case letters and digits"
            : null;
    }
}
