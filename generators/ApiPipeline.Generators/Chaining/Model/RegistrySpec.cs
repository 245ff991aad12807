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
internal sealed record RegistryExtractor(string TypeName, string FullTypeName, ShapeSpec Input, ShapeSpec Output);

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

/// <summary>Everything the registry lists. Equality contract: by value.</summary>
/// <param name="Extractors">The extractors, ordered by type name.</param>
/// <param name="Chains">The chains, ordered by type name.</param>
internal sealed record RegistrySpec(ImmutableEquatableArray<RegistryExtractor> Extractors, ImmutableEquatableArray<RegistryChain> Chains);
