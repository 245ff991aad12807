using System.Reflection;
using ApiPipeline.Generators.Diagnostics;
using ApiPipeline.Generators.Helpers;
using ApiPipeline.Generators.Model;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Tests;

/// <summary>
/// The pipeline model holds plain data only: no symbols, syntax or compilations (which would root old compilations and
/// never compare equal), and two parses of the same code give equal results.
/// </summary>
public sealed class ModelGraphTests
{
    private static readonly Type[] Forbidden =
    [
        typeof(ISymbol),
        typeof(Compilation),
        typeof(SemanticModel),
        typeof(SyntaxNode),
        typeof(SyntaxTree),
        typeof(Location),
        typeof(AttributeData),
    ];

    private static readonly Type[] Roots =
    [
        typeof(ExtractorSpec),
        typeof(ExtractorResult),
        typeof(UrlPart),
        typeof(PropertyInit),
        typeof(DiagnosticInfo),
        typeof(LocationInfo),
    ];

    [Fact]
    public void ModelDoesNotReachSymbolsSyntaxOrCompilations()
    {
        var (visited, violations) = Walk(Roots);

        Assert.True(violations.Count == 0, "The model reaches Roslyn objects:\n" + string.Join("\n", violations));

        // The walk really went through the graph: generic arguments, element types and nested records.
        Assert.Contains(typeof(Helpers.ImmutableEquatableArray<UrlPart>), visited);
        Assert.Contains(typeof(Helpers.ImmutableEquatableArray<string>), visited);
        Assert.Contains(typeof(UrlPart[]), visited);
        Assert.Contains(typeof(ValueKind), visited);
        Assert.Contains(typeof(Microsoft.CodeAnalysis.Text.LinePositionSpan), visited);
        Assert.Contains(typeof(Microsoft.CodeAnalysis.Text.LinePosition), visited);
    }

    [Fact]
    public void WalkFindsRoslynObjectsHiddenInFieldsAndGenericArguments()
    {
        var (_, violations) = Walk([typeof(BadModel)]);

        Assert.Equal(4, violations.Count);
        Assert.Contains(violations, v => v.Contains(nameof(INamedTypeSymbol), StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains(nameof(SyntaxTree), StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains(nameof(Location), StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains(nameof(AttributeData), StringComparison.Ordinal));
    }

    [Fact]
    public void TwoParsesOfTheSameSourceAreEqual()
    {
        string[] sources =
        [
            TestSources.Common,
            TestSources.Usings + """
            namespace Demo;

            public sealed record Filter(string Owner, string Repo, [property: Query] int PerPage = 10, [property: Query] bool? Open = null);

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}/items", Json = typeof(TestJson))]
            [Paginated(Pagination.Cursor, CursorPath = "next", PageSize = 10)]
            public partial class Items : IExtractor<Filter, Item>;

            [Extractor("https://api.example.com", "/repos/{missing}", Json = typeof(TestJson))]
            public partial class Broken : IExtractor<RepoRef, Item>;
            """,
        ];

        var first = Results(GeneratorHarness.Run(sources));
        var second = Results(GeneratorHarness.Run(sources));

        Assert.Equal(2, first.Length);
        Assert.NotSame(first[0], second[0]);
        Assert.Equal(first, second);
        Assert.Equal(first.Select(r => r.GetHashCode()), second.Select(r => r.GetHashCode()));

        // One carries a spec with URL parts and pagination, the other a diagnostic with a location: both compare by value.
        var valid = Assert.Single(first, r => r.Spec is not null);
        Assert.Empty(valid.Diagnostics);
        Assert.Equal(7, valid.Spec!.Url.Count);
        Assert.Equal(3, valid.Spec.Pagination.Count);
        var broken = Assert.Single(first, r => r.Spec is null);
        Assert.NotNull(Assert.Single(broken.Diagnostics).Location);

        // And a different template gives a different result.
        var changed = Results(GeneratorHarness.Run(sources[0], sources[1].Replace("/items\"", "/pulls\"", StringComparison.Ordinal)));
        Assert.NotEqual(first.Single(r => r.Spec is not null), changed.Single(r => r.Spec is not null));
        Assert.Equal(first.Single(r => r.Spec is null), changed.Single(r => r.Spec is null));
    }

    private static ExtractorResult[] Results(HarnessResult result)
        => result.RunResult.TrackedSteps[TrackingNames.Extractors]
            .SelectMany(step => step.Outputs)
            .Select(output => Assert.IsType<ExtractorResult>(output.Value))
            .ToArray();

    /// <summary>Visits every type reachable from <paramref name="roots"/> through instance properties and fields, generic arguments and element types.</summary>
    private static (HashSet<Type> Visited, List<string> Violations) Walk(IEnumerable<Type> roots)
    {
        var visited = new HashSet<Type>();
        var violations = new List<string>();
        var pending = new Stack<(Type Type, string Path)>(roots.Select(r => (r, r.Name)));
        while (pending.Count > 0)
        {
            var (type, path) = pending.Pop();
            if (!visited.Add(type))
            {
                continue;
            }

            var forbidden = Forbidden.FirstOrDefault(f => f.IsAssignableFrom(type));
            if (forbidden is not null)
            {
                violations.Add($"{path}: {type.Name} is a {forbidden.Name}");
                continue;
            }

            if (type.HasElementType)
            {
                pending.Push((type.GetElementType()!, path + "[]"));
            }

            foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : [])
            {
                pending.Push((argument, $"{path}<{argument.Name}>"));
            }

            // Look inside our own types and Roslyn's plain structs (TextSpan, LinePositionSpan); framework types such as string are leaves.
            bool inspect = type.Assembly == typeof(ExtractorSpec).Assembly
                || type.Assembly == typeof(ModelGraphTests).Assembly
                || (type.IsValueType && type.Assembly == typeof(Microsoft.CodeAnalysis.Text.TextSpan).Assembly);
            if (!inspect || type.IsEnum || type.IsArray)
            {
                continue;
            }

            const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
            foreach (var property in type.GetProperties(Instance).Where(p => p.Name != "EqualityContract" && p.GetIndexParameters().Length == 0))
            {
                pending.Push((property.PropertyType, path + "." + property.Name));
            }

            foreach (var field in type.GetFields(Instance))
            {
                pending.Push((field.FieldType, path + "." + field.Name));
            }
        }

        return (visited, violations);
    }

    /// <summary>A model that makes every mistake the walk must catch.</summary>
    private sealed class BadModel
    {
        public INamedTypeSymbol? Type { get; init; }

        public List<SyntaxTree>? Trees { get; init; }

        public Dictionary<string, Location[]>? Locations { get; init; }

        private readonly Nested _nested = new(null);

        public override string ToString() => _nested.Attribute?.ToString() ?? string.Empty;

        private sealed class Nested(AttributeData? attribute)
        {
            public readonly AttributeData? Attribute = attribute;
        }
    }
}
