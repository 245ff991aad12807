using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Checks the query parameters an extractor sends from its input: a <c>[Query]</c> the paginator overwrites (APP1302), a member
/// bound to a placeholder and also sent as a query (APP1303), and two sources of the same query parameter (APP1304).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class QueryBindingAnalyzer : ExtractorAnalyzer
{
    public const string QueryCollidesWithPaginationId = "APP1302";
    public const string QueryAndPlaceholderId = "APP1303";
    public const string DuplicateQueryParameterId = "APP1304";

    public static readonly DiagnosticDescriptor QueryCollidesWithPagination = new(
        QueryCollidesWithPaginationId,
        "Query parameter collides with a pagination parameter",
        "The query parameter '{0}' of '{1}' is also the {2} that Pagination.{3} of extractor '{4}' sends, so the paginator overwrites it; give the [Query] another name, or set {2} on [Paginated] to another parameter",
        DiagnosticCategories.Binding,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(QueryCollidesWithPaginationId));

    public static readonly DiagnosticDescriptor QueryAndPlaceholder = new(
        QueryAndPlaceholderId,
        "Member fills a path placeholder and is also sent as a query parameter",
        "'{0}' fills the placeholder '{{{1}}}' of extractor '{2}' and has [Query], so its value is sent twice; remove [Query] (or the placeholder)",
        DiagnosticCategories.Binding,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(QueryAndPlaceholderId));

    public static readonly DiagnosticDescriptor DuplicateQueryParameter = new(
        DuplicateQueryParameterId,
        "Query parameter is sent twice",
        "Extractor '{0}' sends the query parameter '{1}' twice, from {2} and from {3}; give one of them another name",
        DiagnosticCategories.Binding,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(DuplicateQueryParameterId));

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [QueryCollidesWithPagination, QueryAndPlaceholder, DuplicateQueryParameter];

    /// <inheritdoc/>
    protected override void AnalyzeExtractor(ExtractorContext extractor)
    {
        if (extractor.InputType is not { } input || !InputMembers.IsUserInput(input, extractor.Known))
        {
            return;
        }

        var members = InputMembers.Of(input, extractor.Known);
        var placeholders = new Dictionary<string, string>(StringComparer.Ordinal);
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        if (extractor.Path is { } path)
        {
            foreach (var placeholder in UrlText.Placeholders(path))
            {
                placeholders[NameRules.Normalize(placeholder.Name)] = placeholder.Name;
            }

            foreach (var parameter in UrlText.Query(path))
            {
                sources[parameter.Name] = "the path template";
            }
        }

        var paginationParameters = PaginationParameters(extractor);
        foreach (var member in members)
        {
            extractor.CancellationToken.ThrowIfCancellationRequested();
            if (member.QueryName is not { } queryName)
            {
                continue;
            }

            string memberName = input.Name + "." + member.Name;
            var location = member.Location(extractor.CancellationToken);
            if (placeholders.TryGetValue(NameRules.Normalize(member.Name), out var placeholderName))
            {
                extractor.Report(QueryAndPlaceholder, location, memberName, placeholderName, extractor.Name);
            }

            foreach (var (name, setting) in paginationParameters)
            {
                if (string.Equals(name, queryName, StringComparison.Ordinal))
                {
                    extractor.Report(QueryCollidesWithPagination, location, queryName, memberName, setting, extractor.Style.ToString(), extractor.Name);
                }
            }

            if (sources.TryGetValue(queryName, out var first))
            {
                extractor.Report(DuplicateQueryParameter, location, extractor.Name, queryName, first, "'" + memberName + "'");
            }
            else
            {
                sources[queryName] = "'" + memberName + "'";
            }
        }
    }

    /// <summary>The query parameters the paginator sets for this extractor's style, with the setting that names each.</summary>
    internal static List<(string Name, string Setting)> PaginationParameters(ExtractorContext extractor)
    {
        var result = new List<(string, string)>();
        var settings = extractor.PaginatedSettings();
        string? Text(string name) => settings.TryGetValue(name, out var value) && value.Value is string s && s.Length > 0 ? s : null;
        bool sendsSize = settings.TryGetValue("PageSize", out var size) && size.Value is int n && n > 0;

        switch (extractor.Style)
        {
            case PaginationStyle.Cursor:
            case PaginationStyle.HeaderCursor:
                result.Add((Text("CursorParam") ?? "cursor", "CursorParam"));
                if (sendsSize)
                {
                    result.Add((Text("PageSizeParam") ?? "limit", "PageSizeParam"));
                }

                break;
            case PaginationStyle.NextUrl:
            case PaginationStyle.LinkHeader:
                if (sendsSize)
                {
                    result.Add((Text("PageSizeParam") ?? "limit", "PageSizeParam"));
                }

                break;
            case PaginationStyle.Offset:
                result.Add((Text("OffsetParam") ?? "offset", "OffsetParam"));
                if (sendsSize)
                {
                    result.Add((Text("LimitParam") ?? Text("PageSizeParam") ?? "limit", "LimitParam"));
                }

                break;
            case PaginationStyle.PageNumber:
                result.Add((Text("PageParam") ?? "page", "PageParam"));
                if (sendsSize)
                {
                    result.Add((Text("PageSizeParam") ?? "per_page", "PageSizeParam"));
                }

                break;
        }

        return result;
    }
}
