using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Checks <c>[Paginated]</c>: settings the style needs (APP1101) or ignores (APP1102), negative limits (APP1103), offset paging
/// without a page size (APP1104), malformed response paths (APP1105), <c>[Paginated]</c> without <c>[Extractor]</c> (APP1106), and
/// <c>[ConditionalRequests]</c> with pages fetched ahead (APP1107).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class PaginationAnalyzer : ExtractorAnalyzer
{
    public const string MissingRequiredSettingId = "APP1101";
    public const string IgnoredSettingId = "APP1102";
    public const string NegativeLimitId = "APP1103";
    public const string OffsetWithoutPageSizeId = "APP1104";
    public const string MalformedPathId = "APP1105";
    public const string PaginatedWithoutExtractorId = "APP1106";
    public const string ConditionalRequestsConcurrentId = "APP1107";

    /// <summary>Diagnostic property: the <c>[Paginated]</c> setting the diagnostic is about.</summary>
    public const string SettingProperty = "Setting";

    /// <summary>Diagnostic property (APP1105): the path with its empty segments removed.</summary>
    public const string RepairedPathProperty = "RepairedPath";

    public static readonly DiagnosticDescriptor MissingRequiredSetting = new(
        MissingRequiredSettingId,
        "Pagination style is missing a required setting",
        "Pagination.{0} needs {1} ({2}), for example {1} = \"{3}\"; without it the extractor fails when it is created",
        DiagnosticCategories.Pagination,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(MissingRequiredSettingId));

    public static readonly DiagnosticDescriptor IgnoredSetting = new(
        IgnoredSettingId,
        "Setting is ignored by the pagination style",
        "'{0}' has no effect with Pagination.{1}: {2}; remove it, or choose the style that uses it",
        DiagnosticCategories.Pagination,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(IgnoredSettingId),
        customTags: WellKnownDiagnosticTags.Unnecessary);

    public static readonly DiagnosticDescriptor NegativeLimit = new(
        NegativeLimitId,
        "Page size and limits out of range",
        "'{0}' must be {1}, not {2}; such a value makes the extractor fail when it is created",
        DiagnosticCategories.Pagination,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(NegativeLimitId));

    public static readonly DiagnosticDescriptor OffsetWithoutPageSize = new(
        OffsetWithoutPageSizeId,
        "Offset pagination without a page size",
        "Pagination.Offset without PageSize sends no '{0}' and can stop only on an empty page, which costs an extra request per run; set PageSize to the API's page size, or set TotalPath or HasMorePath",
        DiagnosticCategories.Pagination,
        DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(OffsetWithoutPageSizeId));

    public static readonly DiagnosticDescriptor MalformedPath = new(
        MalformedPathId,
        "Malformed response path",
        "{0} = \"{1}\" is not a valid dot path: {2}; write property names separated by single dots, such as \"{3}\"",
        DiagnosticCategories.Pagination,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(MalformedPathId));

    public static readonly DiagnosticDescriptor PaginatedWithoutExtractor = new(
        PaginatedWithoutExtractorId,
        "[Paginated] without [Extractor] has no effect",
        "'{0}' has [Paginated] but no [Extractor], so nothing reads it; add [Extractor(baseUrl, path, Json = typeof(...))] or remove [Paginated]",
        DiagnosticCategories.Pagination,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(PaginatedWithoutExtractorId));

    public static readonly DiagnosticDescriptor ConditionalRequestsConcurrent = new(
        ConditionalRequestsConcurrentId,
        "Conditional requests need sequential pagination",
        "'{0}' has [ConditionalRequests] and MaxConcurrent = {1}: a page the API answers 304 Not Modified leads where it led last time, which only a sequential run can follow, so creating the extractor fails; set MaxConcurrent to 1 or remove [ConditionalRequests]",
        DiagnosticCategories.Pagination,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(ConditionalRequestsConcurrentId));

    private static readonly string[] PathSettings = ["RecordsPath", "CursorPath", "NextUrlPath", "HasMorePath", "TotalPath", "TotalPagesPath"];

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        [MissingRequiredSetting, IgnoredSetting, NegativeLimit, OffsetWithoutPageSize, MalformedPath, PaginatedWithoutExtractor, ConditionalRequestsConcurrent];

    /// <inheritdoc/>
    protected override void AnalyzeExtractor(ExtractorContext extractor)
    {
        if (extractor.Paginated is null || extractor.Style is not { } style)
        {
            return;
        }

        var settings = extractor.PaginatedSettings();
        var syntax = extractor.PaginatedSyntax;
        var styleLocation = AttributeSyntaxes.ValueLocation(extractor.StyleArgument, syntax);

        var required = Required(style);
        if (required is { } need && (!settings.TryGetValue(need.Setting, out var value) || string.IsNullOrWhiteSpace(value.Value as string)))
        {
            extractor.Report(MissingRequiredSetting, styleLocation, style.ToString(), need.Setting, need.Purpose, need.Example);
        }

        foreach (var setting in settings)
        {
            var argument = AttributeSyntaxes.NamedArgument(syntax, setting.Key);
            var location = argument?.GetLocation() ?? syntax?.GetLocation();
            var properties = ImmutableDictionary<string, string?>.Empty.Add(SettingProperty, setting.Key);

            string? ignored = setting.Key == "TotalPath" && WindowsReadTotal(extractor) ? null : WhyIgnored(setting.Key, style, settings);
            if (ignored is not null)
            {
                extractor.Report(IgnoredSetting, location, properties, setting.Key, style.ToString(), ignored);
            }

            if (setting.Key is "PageSize" or "MaxPages" or "MaxRecords" or "MaxConcurrent" && setting.Value.Value is int or long)
            {
                long number = System.Convert.ToInt64(setting.Value.Value, System.Globalization.CultureInfo.InvariantCulture);
                long least = setting.Key == "MaxConcurrent" ? 1 : 0;
                if (number < least)
                {
                    string range = setting.Key switch
                    {
                        "MaxConcurrent" => "at least 1 (one request at a time)",
                        "PageSize" => "0 (not sent) or positive",
                        _ => "0 (no limit) or positive",
                    };
                    extractor.Report(NegativeLimit, AttributeSyntaxes.ValueLocation(argument, syntax), setting.Key, range, number);
                }
            }

            if (System.Array.IndexOf(PathSettings, setting.Key) >= 0 && setting.Value.Value is string path)
            {
                string? problem = JsonPathSyntax.Problem(path);
                if (problem is not null)
                {
                    string repaired = JsonPathSyntax.Repair(path);
                    extractor.Report(
                        MalformedPath,
                        AttributeSyntaxes.ValueLocation(argument, syntax),
                        properties.Add(RepairedPathProperty, repaired),
                        setting.Key,
                        path,
                        problem,
                        repaired.Length > 0 ? repaired : "data.items");
                }
            }
        }

        if (style == PaginationStyle.Offset
            && !(settings.TryGetValue("PageSize", out var pageSize) && pageSize.Value is int size && size > 0)
            && !HasText(settings, "TotalPath")
            && !HasText(settings, "HasMorePath"))
        {
            string limit = Text(settings, "LimitParam") ?? Text(settings, "PageSizeParam") ?? "limit";
            var location = settings.ContainsKey("PageSize") ? AttributeSyntaxes.ValueLocation(AttributeSyntaxes.NamedArgument(syntax, "PageSize"), syntax) : styleLocation;
            extractor.Report(OffsetWithoutPageSize, location, limit);
        }

        if (Number(settings, "MaxConcurrent") is > 1 and var concurrent && extractor.FindAttribute("ApiPipeline.ConditionalRequestsAttribute") is not null)
        {
            extractor.Report(ConditionalRequestsConcurrent, AttributeSyntaxes.ValueLocation(AttributeSyntaxes.NamedArgument(syntax, "MaxConcurrent"), syntax), extractor.Type.Name, concurrent);
        }
    }

    /// <inheritdoc/>
    protected override void AnalyzeOtherType(SymbolAnalysisContext context, INamedTypeSymbol type, KnownTypes known)
    {
        if (known.PaginatedAttribute is null)
        {
            return;
        }

        foreach (var attribute in type.GetAttributes())
        {
            if (KnownTypes.Is(attribute, known.PaginatedAttribute))
            {
                var syntax = AttributeSyntaxes.Syntax(attribute, context.CancellationToken);
                if (syntax is not null)
                {
                    context.ReportDiagnostic(Diagnostic.Create(PaginatedWithoutExtractor, syntax.Name.GetLocation(), type.Name));
                }
            }
        }
    }

    /// <summary>Which setting a style cannot work without, mirroring <c>PaginationOptions.Validate</c>.</summary>
    internal static (string Setting, string Purpose, string Example)? Required(PaginationStyle style) => style switch
    {
        PaginationStyle.Cursor => ("CursorPath", "where the next cursor is in the body", "next_cursor"),
        PaginationStyle.HeaderCursor => ("CursorHeader", "the response header holding the next cursor", "X-Next-Cursor"),
        PaginationStyle.NextUrl => ("NextUrlPath", "where the next page's URL is in the body", "links.next"),
        _ => null,
    };

    /// <summary>Whether <c>[TimeWindows(MaxResults = …)]</c> reads the total (of any pagination style) to split windows that are too deep.</summary>
    private static bool WindowsReadTotal(ExtractorContext extractor)
        => extractor.FindAttribute("ApiPipeline.TimeWindowsAttribute") is { } windows
            && windows.Settings.TryGetValue("MaxResults", out var cap) && cap.Value is int results && results > 0;

    /// <summary>Why <paramref name="setting"/> does nothing with <paramref name="style"/>, or <see langword="null"/> when it is used.</summary>
    internal static string? WhyIgnored(string setting, PaginationStyle style, IReadOnlyDictionary<string, TypedConstant> settings)
    {
        const string single = "Pagination.None makes a single request";
        return setting switch
        {
            "PageSize" or "PageSizeParam" or "HasMorePath" or "MaxPages" when style == PaginationStyle.None => single,
            "PageSizeParam" when style == PaginationStyle.Offset && HasText(settings, "LimitParam") => "LimitParam is sent instead",
            "CursorPath" when style != PaginationStyle.Cursor => "only Pagination.Cursor reads it",
            "CursorParam" when style is not (PaginationStyle.Cursor or PaginationStyle.HeaderCursor) => "only Pagination.Cursor and Pagination.HeaderCursor send it",
            "CursorHeader" when style != PaginationStyle.HeaderCursor => "only Pagination.HeaderCursor reads it",
            "NextUrlPath" when style != PaginationStyle.NextUrl => "only Pagination.NextUrl reads it",
            "TotalPath" when style != PaginationStyle.Offset => "only Pagination.Offset and [TimeWindows(MaxResults = …)] use it",
            "OffsetParam" or "LimitParam" when style != PaginationStyle.Offset => "only Pagination.Offset uses it",
            "TotalPagesPath" or "PageParam" or "FirstPage" when style != PaginationStyle.PageNumber => "only Pagination.PageNumber uses it",
            "StopOnEmptyPage" when style is PaginationStyle.Offset or PaginationStyle.PageNumber => "this style always stops on an empty page",
            "StopOnEmptyPage" when style == PaginationStyle.None => single,
            "MaxConcurrent" when Number(settings, "MaxConcurrent") > 1 && !(style == PaginationStyle.PageNumber || (style == PaginationStyle.Offset && Number(settings, "PageSize") > 0))
                => "the next page of this style depends on the previous response, so pages cannot be fetched in parallel (only Pagination.PageNumber, and Pagination.Offset with a PageSize)",
            _ => null,
        };
    }

    private static long Number(IReadOnlyDictionary<string, TypedConstant> settings, string name)
        => settings.TryGetValue(name, out var value) && value.Value is int or long ? System.Convert.ToInt64(value.Value, System.Globalization.CultureInfo.InvariantCulture) : 0;

    private static bool HasText(IReadOnlyDictionary<string, TypedConstant> settings, string name) => !string.IsNullOrWhiteSpace(Text(settings, name));

    private static string? Text(IReadOnlyDictionary<string, TypedConstant> settings, string name)
        => settings.TryGetValue(name, out var value) ? value.Value as string : null;
}
