using ApiPipeline.Generators.Diagnostics;
using ApiPipeline.Generators.Helpers;

namespace ApiPipeline.Generators.Chaining.Model;

/// <summary>
/// An extractor as the generated registry lists it: its class and the shapes of its input and record types. Small and equatable, so
/// collecting every extractor into the registry re-emits it only when one of these changes.
/// </summary>
/// <param name="TypeName">The class's full name without <c>global::</c> (<c>Demo.Items</c>).</param>
/// <param name="FullTypeName">The class, fully qualified.</param>
/// <param name="Input">The input type's shape.</param>
/// <param name="Output">The record type's shape.</param>
/// <param name="HandWritten">For a hand-written extractor (<c>[RegisteredExtractor]</c>): its name and how to create it; <see langword="null"/> for a generated one.</param>
internal sealed record RegistryExtractor(string TypeName, string FullTypeName, ShapeSpec Input, ShapeSpec Output, HandWrittenExtractor? HandWritten = null);

/// <summary>What the registry needs of a hand-written extractor that the generated definition gives for a generated one.</summary>
/// <param name="Name">The name it is registered under.</param>
/// <param name="JsonContext">The record type's <c>JsonSerializerContext</c>, fully qualified.</param>
/// <param name="Factory">The factory lambda over <c>(httpClient, options)</c>.</param>
internal sealed record HandWrittenExtractor(string Name, string JsonContext, string Factory);

/// <summary>What parsing a <c>[RegisteredExtractor]</c> class gives: its registry entry (or <see langword="null"/>) and diagnostics.</summary>
/// <param name="Extractor">The registry entry, or <see langword="null"/> when the class cannot be listed.</param>
/// <param name="Diagnostics">Why the class cannot be listed.</param>
internal sealed record RegisteredExtractorResult(RegistryExtractor? Extractor, ImmutableEquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>A chain as the generated registry lists it.</summary>
/// <param name="TypeName">The class's full name without <c>global::</c>.</param>
/// <param name="FullTypeName">The class, fully qualified.</param>
internal sealed record RegistryChain(string TypeName, string FullTypeName);

/// <summary>A type's members and how to create it, as C# text for a <c>TypeShape&lt;T&gt;</c>.</summary>
/// <param name="FullType">The type, fully qualified (the key that shares one shape among extractors).</param>
/// <param name="DisplayName">The type as written in messages.</param>
/// <param name="Members">The members.</param>
/// <param name="Create">The body of the create lambda over <c>values</c>, or <see langword="null"/> when the type cannot be created.</param>
internal sealed record ShapeSpec(string FullType, string DisplayName, ImmutableEquatableArray<ShapeMemberSpec> Members, string? Create);

/// <summary>One member of a <see cref="ShapeSpec"/>.</summary>
/// <param name="Name">The member's name.</param>
/// <param name="TypeOf">The type for <c>typeof(…)</c>.</param>
/// <param name="TypeDisplay">The type as written in messages.</param>
/// <param name="Write">0 read only, 1 required, 2 optional (<c>ShapeWrite</c>).</param>
/// <param name="Read">The read expression over <c>value</c>, or <see langword="null"/> when it cannot be read.</param>
/// <param name="AllowsNull">Whether it accepts <see langword="null"/>.</param>
internal sealed record ShapeMemberSpec(string Name, string TypeOf, string TypeDisplay, int Write, string? Read, bool AllowsNull);

/// <summary>Which public constructor of an output class the registry calls.</summary>
internal enum OutputConstructor
{
    /// <summary><c>(JsonTypeInfo&lt;T&gt; recordTypeInfo, OutputConfig config)</c>.</summary>
    TypeInfoAndConfig,

    /// <summary><c>(OutputConfig config)</c>.</summary>
    Config,

    /// <summary><c>()</c>.</summary>
    Parameterless,
}

/// <summary>An <c>[Output]</c> class as the generated registry lists it. Equality contract: by value (no location, so moving code re-emits nothing).</summary>
/// <param name="Name">The output type's name in configuration files.</param>
/// <param name="TypeName">The class's full name without <c>global::</c>, with its type parameter (<c>Demo.ConsoleOutput&lt;T&gt;</c>).</param>
/// <param name="Construct">The class fully qualified without type arguments when generic (<c>global::Demo.ConsoleOutput</c>), else the class.</param>
/// <param name="RecordType">The record type fully qualified for an output of one record type; <see langword="null"/> when generic.</param>
/// <param name="Constructor">The constructor the registry calls.</param>
/// <param name="ConfigKeys">The <c>config:</c> keys the output reads besides the common ones (<c>[Output("console", "color")]</c>).</param>
internal sealed record RegistryOutput(string Name, string TypeName, string Construct, string? RecordType, OutputConstructor Constructor, ImmutableEquatableArray<string> ConfigKeys);

/// <summary>What parsing an <c>[Output]</c> class gives: its registry entry (or <see langword="null"/>), where its name is written, and diagnostics.</summary>
/// <param name="Output">The registry entry, or <see langword="null"/> when the class cannot be listed.</param>
/// <param name="NameLocation">The attribute's name argument, for the duplicate-name check.</param>
/// <param name="Diagnostics">Why the class cannot be listed.</param>
internal sealed record OutputParseResult(RegistryOutput? Output, LocationInfo? NameLocation, ImmutableEquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>An output type's name and where it is declared, for the duplicate-name check across the assembly.</summary>
/// <param name="Name">The name.</param>
/// <param name="TypeName">The class's full name.</param>
/// <param name="Location">The attribute's name argument.</param>
internal sealed record OutputName(string Name, string TypeName, LocationInfo? Location);

/// <summary>Everything the registry lists. Equality contract: by value.</summary>
/// <param name="Extractors">The extractors, ordered by type name.</param>
/// <param name="Chains">The chains, ordered by type name.</param>
/// <param name="Outputs">The user output types, ordered by type name.</param>
internal sealed record RegistrySpec(ImmutableEquatableArray<RegistryExtractor> Extractors, ImmutableEquatableArray<RegistryChain> Chains, ImmutableEquatableArray<RegistryOutput> Outputs);
