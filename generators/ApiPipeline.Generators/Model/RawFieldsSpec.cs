using ApiPipeline.Generators.Helpers;

namespace ApiPipeline.Generators.Model;

/// <summary>
/// The generated reader of a passthrough extractor's <c>TFields</c> (<c>RawFieldsReader&lt;TFields&gt;</c>). Equality contract: equal
/// when every member is equal by value (strings, enums, <see cref="ImmutableEquatableArray{T}"/> element by element); no symbols.
/// </summary>
internal sealed record RawFieldsSpec
{
    /// <summary>The fully qualified (<c>global::</c>) fields type.</summary>
    public required string FieldsType { get; init; }

    /// <summary>The context's <c>JsonKnownNamingPolicy</c> member (<c>SnakeCaseLower</c>), or <see langword="null"/> without one.</summary>
    public required string? NamingPolicy { get; init; }

    /// <summary>The members read, in bit order of the reader's <c>seen</c> mask.</summary>
    public required ImmutableEquatableArray<RawFieldSpec> Fields { get; init; }

    /// <summary>The constructor's arguments in order: the index of the member in <see cref="Fields"/> that supplies each.</summary>
    public required ImmutableEquatableArray<int> ConstructorArguments { get; init; }
}

/// <summary>How the generated reader gets a member's value from its JSON token.</summary>
internal enum RawReadKind
{
    /// <summary><c>string</c>: a string or null.</summary>
    String,

    /// <summary><c>bool</c>: true or false.</summary>
    Boolean,

    /// <summary>A number read with <c>Utf8JsonReader.TryGet{Getter}</c>.</summary>
    Number,

    /// <summary>A string read with <c>Utf8JsonReader.TryGet{Getter}</c> (Guid, DateTime, DateTimeOffset).</summary>
    FormattedString,

    /// <summary>Anything else: <c>JsonSerializer.Deserialize</c> with the context's metadata of the member's type.</summary>
    TypeInfo,
}

/// <summary>How the generated reader assigns a member once read.</summary>
internal enum RawAssignKind
{
    /// <summary>Passed to the constructor.</summary>
    Constructor,

    /// <summary>
    /// A required or init-only property, set in the object initializer: to its default when the record lacks it, as System.Text.Json's
    /// generated metadata does (an absent init-only member does not keep its property initializer).
    /// </summary>
    Initializer,

    /// <summary>A settable property, set after construction when the record has it.</summary>
    Assignment,
}

/// <summary>One member of <c>TFields</c> that the generated reader reads.</summary>
/// <param name="Member">The C# member name (escaped when it is a keyword).</param>
/// <param name="ClrName">The member's metadata name, given to the naming policy.</param>
/// <param name="JsonName">The <c>[JsonPropertyName]</c>, or <see langword="null"/> for the naming policy's name.</param>
/// <param name="Type">The fully qualified member type (<c>global::System.Int64?</c> for nullable value types).</param>
/// <param name="IsReferenceType">Whether the type is a reference type (its local is declared <c>T?</c>).</param>
/// <param name="Read">How the value is read.</param>
/// <param name="Getter">For <see cref="RawReadKind.Number"/> and <see cref="RawReadKind.FormattedString"/>: the <c>TryGetX</c> suffix.</param>
/// <param name="IsNullable">Whether JSON null is accepted (a <c>Nullable&lt;T&gt;</c>).</param>
/// <param name="IsRequired">Whether System.Text.Json treats the member as required.</param>
/// <param name="Assign">How it is assigned.</param>
/// <param name="Default">The value when the record lacks the member (a constructor parameter's default), as C#.</param>
internal sealed record RawFieldSpec(
    string Member,
    string ClrName,
    string? JsonName,
    string Type,
    bool IsReferenceType,
    RawReadKind Read,
    string? Getter,
    bool IsNullable,
    bool IsRequired,
    RawAssignKind Assign,
    string Default);
