using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Checks the query parameters an extractor sends from its input: a <c>[Query]</c> the paginator overwrites (APP1302), a member
/// bound to a placeholder and also sent as a query (APP1303), two sources of the same query parameter (APP1304), and a member sent
/// whose type has no text form but the <c>ToString()</c> it inherits or a record prints (APP1305).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class QueryBindingAnalyzer : ExtractorAnalyzer
{
    public const string QueryCollidesWithPaginationId = "APP1302";
    public const string QueryAndPlaceholderId = "APP1303";
    public const string DuplicateQueryParameterId = "APP1304";
    public const string SentAsTypeNameId = "APP1305";

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

    public static readonly DiagnosticDescriptor SentAsTypeName = new(
        SentAsTypeNameId,
        "Member is sent as its type's ToString()",
        "'{0}' ({1}) is sent as {2} of extractor '{3}', but {1} has no text form of its own: the URL gets {4} from its inherited ToString(); send a string, number, date, GUID, enum, bool, or a collection of those, or override ToString() in {1}",
        DiagnosticCategories.Binding,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(SentAsTypeNameId));

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [QueryCollidesWithPagination, QueryAndPlaceholder, DuplicateQueryParameter, SentAsTypeName];

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
            bool inPath = placeholders.TryGetValue(NameRules.Normalize(member.Name), out var placeholderName);
            if (member.QueryName is null && !inPath)
            {
                continue;
            }

            string memberName = input.Name + "." + member.Name;
            var location = member.Location(extractor.CancellationToken);
            if (MemberType(member.Symbol) is { } type && PrintsOnlyItsName(type) is { } printed)
            {
                string where = member.QueryName is { } sent ? $"the query parameter '{sent}'" : $"the placeholder '{{{placeholderName}}}'";
                extractor.Report(SentAsTypeName, location, memberName, type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat), where, extractor.Name, printed);
            }

            if (member.QueryName is not { } queryName)
            {
                continue;
            }

            if (inPath)
            {
                extractor.Report(QueryAndPlaceholder, location, memberName, placeholderName!, extractor.Name);
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

    private static ITypeSymbol? MemberType(ISymbol member) => member switch
    {
        IPropertySymbol property => property.Type,
        IFieldSymbol field => field.Type,
        _ => null,
    };

    /// <summary>
    /// What the URL gets, in words, for a value of <paramref name="type"/> when the generated code can only call its <c>ToString()</c>
    /// (<see cref="ValueKind.Other"/>), or <see langword="null"/> when it has a text form: a kind the generated code writes, or a
    /// type that declares its own <c>ToString()</c>.
    /// </summary>
    private static string? PrintsOnlyItsName(ITypeSymbol type)
    {
        if (UrlValues.Classify(type).Kind != ValueKind.Other || type.TypeKind is TypeKind.Error or TypeKind.TypeParameter)
        {
            return null;
        }

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        // The generated ?.ToString() is a virtual call: for object, an interface or an abstract class the value is always of another
        // type, whose text the URL gets (a record's is still its member list, unless the abstract record overrides it, below).
        if (type.SpecialType == SpecialType.System_Object || type.TypeKind is TypeKind.Interface or TypeKind.Dynamic || (type.IsAbstract && !type.IsRecord))
        {
            return null;
        }

        for (var current = type; current is not null && current.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); current = current.BaseType)
        {
            if (current.GetMembers("ToString").OfType<IMethodSymbol>().Any(m => m.Parameters.Length == 0 && !m.IsImplicitlyDeclared && m.IsOverride))
            {
                return null;
            }
        }

        return type.IsRecord ? "the record's member list" : "its type name";
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
                // Not the cursor: the first request has none of the paginator's, so a member of that name is sent there (a cursor
                // to start from), and only later pages carry the paginator's.
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
