using ApiPipeline.CodeFixes;
using Microsoft.CodeAnalysis.Testing;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>Fixes for diagnostics the source generator reports (it runs inside each test, as in a real build).</summary>
public class GeneratorDiagnosticFixTests
{
    [Fact]
    public Task Add_partial() => new CodeFixTest<GeneratorDiagnosticsAnalyzer, AddPartialCodeFixProvider>(
        Code.With("""
            [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
            public sealed class {|APP0001:Items|} : {|CS0535:{|CS0535:IExtractor<NoInput, Item>|}|};
            """),
        Code.With("""
            [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
            public sealed partial class Items : IExtractor<NoInput, Item>;
            """)).RunAsync();

    [Fact]
    public Task Add_partial_without_other_modifiers_keeps_the_layout() => new CodeFixTest<GeneratorDiagnosticsAnalyzer, AddPartialCodeFixProvider>(
        Code.With("""
            [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
            class {|APP0001:Items|} : {|CS0535:{|CS0535:IExtractor<NoInput, Item>|}|};
            """),
        Code.With("""
            [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
            partial class Items : IExtractor<NoInput, Item>;
            """)).RunAsync();

    [Fact]
    public Task Add_partial_to_every_extractor_with_fix_all()
    {
        var test = new CodeFixTest<GeneratorDiagnosticsAnalyzer, AddPartialCodeFixProvider>(
            Code.With("""
                [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
                public class {|APP0001:Items|} : {|CS0535:{|CS0535:IExtractor<NoInput, Item>|}|};

                [Extractor("https://api.example.com", "/orders", Json = typeof(ShopJson))]
                public class {|APP0001:Orders|} : {|CS0535:{|CS0535:IExtractor<NoInput, Item>|}|};
                """),
            Code.With("""
                [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
                public partial class Items : IExtractor<NoInput, Item>;

                [Extractor("https://api.example.com", "/orders", Json = typeof(ShopJson))]
                public partial class Orders : IExtractor<NoInput, Item>;
                """));
        test.NumberOfFixAllIterations = 1;
        return test.RunAsync();
    }

    [Fact]
    public Task Make_containing_types_partial() => new CodeFixTest<GeneratorDiagnosticsAnalyzer, AddPartialCodeFixProvider>(
        Code.With("""
            public static class Api
            {
                public class Shop
                {
                    [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
                    public partial class {|APP0005:Items|} : {|CS0535:{|CS0535:IExtractor<NoInput, Item>|}|};
                }
            }
            """),
        Code.With("""
            public static partial class Api
            {
                public partial class Shop
                {
                    [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
                    public partial class Items : IExtractor<NoInput, Item>;
                }
            }
            """)).RunAsync();

    [Fact]
    public Task Implement_IExtractor_when_both_types_follow_from_the_attribute() => new CodeFixTest<GeneratorDiagnosticsAnalyzer, ImplementExtractorInterfaceCodeFixProvider>(
        Code.With("""
            [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
            public partial class {|APP0002:Items|};
            """),
        Code.With("""
            [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
            public partial class Items : IExtractor<NoInput, Item>;
            """)).RunAsync();

    [Fact]
    public Task Implement_IExtractor_with_the_element_of_a_registered_list() => new CodeFixTest<GeneratorDiagnosticsAnalyzer, ImplementExtractorInterfaceCodeFixProvider>(
        Code.Alone("""
            public sealed record Order(long Id);

            [JsonSerializable(typeof(System.Collections.Generic.List<Order>))]
            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
            public partial class {|APP0002:Orders|};
            """),
        Code.Alone("""
            public sealed record Order(long Id);

            [JsonSerializable(typeof(System.Collections.Generic.List<Order>))]
            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
            public partial class Orders : IExtractor<NoInput, Order>;
            """)).RunAsync();

    [Fact]
    public Task A_registered_dictionary_is_not_a_record_type_for_the_IExtractor_fix() => new CodeFixTest<GeneratorDiagnosticsAnalyzer, ImplementExtractorInterfaceCodeFixProvider>(
        Code.Alone("""
            public sealed record Order(long Id);

            [JsonSerializable(typeof(Order))]
            [JsonSerializable(typeof(System.Collections.Generic.Dictionary<string, Order>))]
            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
            public partial class {|APP0002:Orders|};
            """),
        Code.Alone("""
            public sealed record Order(long Id);

            [JsonSerializable(typeof(Order))]
            [JsonSerializable(typeof(System.Collections.Generic.Dictionary<string, Order>))]
            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
            public partial class Orders : IExtractor<NoInput, Order>;
            """)).RunAsync();

    [Fact]
    public Task No_IExtractor_fix_when_the_input_type_is_a_choice()
    {
        string source = Code.With("""
            [Extractor("https://api.example.com", "/repos/{owner}/issues", Json = typeof(ShopJson))]
            public partial class {|APP0002:Issues|};
            """);
        return new CodeFixTest<GeneratorDiagnosticsAnalyzer, ImplementExtractorInterfaceCodeFixProvider>(source, source).RunAsync();
    }

    [Fact]
    public Task Add_missing_member_as_a_record_parameter_before_optional_ones() => new CodeFixTest<GeneratorDiagnosticsAnalyzer, UnboundPlaceholderCodeFixProvider>(
        Code.With("""
            public sealed record Search(string Owner, [property: Query] string? State = null);

            [Extractor("https://api.example.com", {|APP0003:"/repos/{owner}/{repo}/issues"|}, Json = typeof(ShopJson))]
            public partial class Issues : {|CS0535:{|CS0535:IExtractor<Search, Item>|}|};
            """),
        Code.With("""
            public sealed record Search(string Owner, string Repo, [property: Query] string? State = null);

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}/issues", Json = typeof(ShopJson))]
            public partial class Issues : IExtractor<Search, Item>;
            """)).RunAsync();

    [Fact]
    public Task Add_missing_member_as_a_required_property() => new CodeFixTest<GeneratorDiagnosticsAnalyzer, UnboundPlaceholderCodeFixProvider>(
        Code.With("""
            public sealed class Search
            {
                public string Owner { get; init; } = "";
            }

            [Extractor("https://api.example.com", {|APP0003:"/repos/{owner}/{repo_name}/issues"|}, Json = typeof(ShopJson))]
            public partial class Issues : {|CS0535:{|CS0535:IExtractor<Search, Item>|}|};
            """),
        Code.With("""
            public sealed class Search
            {
                public string Owner { get; init; } = "";
                public required string RepoName { get; init; }
            }

            [Extractor("https://api.example.com", "/repos/{owner}/{repo_name}/issues", Json = typeof(ShopJson))]
            public partial class Issues : IExtractor<Search, Item>;
            """)).RunAsync();

    [Fact]
    public Task Rename_a_misspelt_placeholder_to_the_closest_member()
    {
        var test = new CodeFixTest<GeneratorDiagnosticsAnalyzer, UnboundPlaceholderCodeFixProvider>(
            Code.With("""
                [Extractor("https://api.example.com", {|APP0003:"/repos/{owner}/{rpeo}/issues"|}, Json = typeof(ShopJson))]
                public partial class Issues : {|CS0535:{|CS0535:IExtractor<RepoRef, Item>|}|};
                """),
            Code.With("""
                [Extractor("https://api.example.com", "/repos/{owner}/{repo}/issues", Json = typeof(ShopJson))]
                public partial class Issues : IExtractor<RepoRef, Item>;
                """));
        test.CodeActionEquivalenceKey = "UnboundPlaceholderCodeFixProvider.Rename.rpeo";
        return test.RunAsync();
    }
}
