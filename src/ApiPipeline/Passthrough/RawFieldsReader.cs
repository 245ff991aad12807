using System.Buffers;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>One member of a passthrough fields record that a <see cref="RawFieldsReader{TFields}"/> reads.</summary>
/// <param name="Name">The member's JSON name (after <c>[JsonPropertyName]</c> and the context's naming policy).</param>
/// <param name="Type">The member's type.</param>
/// <param name="IsRequired">Whether <c>System.Text.Json</c> treats the member as required (<c>required</c>, <c>[JsonRequired]</c>).</param>
/// <param name="IsConstructorParameter">Whether the member is set through the constructor.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct RawField(string Name, Type Type, bool IsRequired, bool IsConstructorParameter);

/// <summary>
/// Walks a record's top-level tokens for a <see cref="RawFieldsReader{TFields}"/> and notes on the way whether the record is already
/// compact (no insignificant whitespace), so that a compact record is copied as it is instead of being compacted. Between two
/// top-level tokens a compact record has at most a comma, and a property name is followed directly by its colon; a nested object or
/// array is skipped by the reader itself and its bytes are then searched for whitespace at once (vectorized). Whitespace found there
/// may sit inside a string, so such a record only counts as not compact and goes through the exact compactor: the check never
/// calls a loose record compact, and costs a few instructions per top-level token. A value read by other means (e.g.
/// <c>JsonSerializer.Deserialize</c> of an object) is checked the same way.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct RawJsonScan
{
    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);
    private readonly ReadOnlySpan<byte> _json;
    private int _end;
    private bool _loose;

    /// <summary>Starts a scan at the record's <see cref="JsonTokenType.StartObject"/>.</summary>
    /// <param name="reader">The reader, on the record's first token.</param>
    /// <param name="json">The whole input the reader runs over.</param>
    public RawJsonScan(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        _json = json;
        _end = (int)reader.BytesConsumed;
    }

    /// <summary>Whether every token read so far followed the previous one with no insignificant whitespace.</summary>
    public readonly bool IsCompact => !_loose;

    /// <summary>Reads the next token of the record's top level: <see langword="true"/> on a property name, <see langword="false"/> at the record's end.</summary>
    /// <param name="reader">The reader.</param>
    /// <returns>Whether the reader is on a property name.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool NextProperty(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        if (reader.TokenType != JsonTokenType.PropertyName)
        {
            return false;
        }

        // The name's token runs to its colon: anything more than the quoted name and ':' is whitespace before the colon.
        if (_end - (int)reader.TokenStartIndex != reader.ValueSpan.Length + 3)
        {
            _loose = true;
        }

        return true;
    }

    /// <summary>Reads the value after a property name.</summary>
    /// <param name="reader">The reader, on a property name.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Value(ref Utf8JsonReader reader) => Read(ref reader);

    /// <summary>Reads past the value after a property name, nested objects and arrays included.</summary>
    /// <param name="reader">The reader, on a property name.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Skip(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            // The nested value's inside is checked as one gap by the next top-level token.
            reader.Skip();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Read(ref Utf8JsonReader reader)
    {
        reader.Read();
        int start = (int)reader.TokenStartIndex;
        int gap = start - _end;
        if (gap != 0 && !_loose && (gap != 1 || _json[_end] != (byte)',') && _json.Slice(_end, gap).ContainsAny(Whitespace))
        {
            _loose = true;
        }

        _end = (int)reader.BytesConsumed;
    }
}

/// <summary>
/// Reads a passthrough record's <typeparamref name="TFields"/> straight from the page's <see cref="Utf8JsonReader"/>: one walk over
/// the record's top-level properties (through a <see cref="RawJsonScan"/>), only the declared members read, everything else skipped,
/// no record object and no second parse. The generator writes one for each passthrough extractor; the runtime uses it when it agrees with the context's
/// <see cref="JsonTypeInfo{T}"/> of <typeparamref name="TFields"/> (same JSON names, types, required members, constructor and default
/// converters), and otherwise reads the fields with that <see cref="JsonTypeInfo{T}"/>.
/// </summary>
/// <typeparam name="TFields">The fields record.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class RawFieldsReader<TFields>
{
    private readonly RawField[] _fields;

    /// <summary>Creates the reader of <paramref name="fields"/>.</summary>
    /// <param name="fields">The members read, in the order of the bits of the <c>seen</c> mask passed to <see cref="MissingRequired"/>.</param>
    protected RawFieldsReader(RawField[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        _fields = fields;
    }

    /// <summary>The members read.</summary>
    public IReadOnlyList<RawField> Fields => _fields;

    /// <summary>
    /// Reads <typeparamref name="TFields"/> from the object at the reader's current token (<see cref="JsonTokenType.StartObject"/>),
    /// leaving the reader on its <see cref="JsonTokenType.EndObject"/>; every token is read through <paramref name="scan"/>.
    /// </summary>
    /// <param name="reader">The page's reader.</param>
    /// <param name="scan">The scan started at the object's first token.</param>
    /// <returns>The fields.</returns>
    /// <exception cref="JsonException">A required member is missing, or a member's JSON value does not fit its type.</exception>
    public abstract TFields Read(ref Utf8JsonReader reader, ref RawJsonScan scan);

    /// <summary>The error for a record that lacks a required member.</summary>
    /// <param name="seen">Bit <c>i</c> is set when member <c>i</c> of <see cref="Fields"/> was read.</param>
    /// <returns>The exception to throw, naming every missing member.</returns>
    protected JsonException MissingRequired(ulong seen)
    {
        var missing = new StringBuilder();
        for (int i = 0; i < _fields.Length; i++)
        {
            if (_fields[i].IsRequired && (seen & (1UL << i)) == 0)
            {
                missing.Append(missing.Length == 0 ? "'" : ", '").Append(_fields[i].Name).Append('\'');
            }
        }

        return new JsonException($"JSON deserialization for type '{typeof(TFields)}' was missing required properties including: {missing}.");
    }

    /// <summary>The error for a member whose JSON value does not fit its type.</summary>
    /// <param name="field">The member's index in <see cref="Fields"/>.</param>
    /// <param name="found">The token found.</param>
    /// <returns>The exception to throw, naming the member and the expected type.</returns>
    protected JsonException Mismatch(int field, JsonTokenType found)
    {
        var type = _fields[field].Type;
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        var (expected, token) = Expected(underlying);
        string message = found == token
            ? $"the JSON property '{_fields[field].Name}' is {PageParser.Describe(found)} that is not a valid {underlying.Name}"
            : $"the JSON property '{_fields[field].Name}' is {PageParser.Describe(found)}; expected {expected}{(underlying != type || !type.IsValueType ? " or null" : string.Empty)} ({underlying.Name})";
        return new JsonException(message);
    }

    /// <summary>The string at the reader's current <see cref="JsonTokenType.String"/> token, for member <paramref name="field"/>.</summary>
    /// <param name="reader">The page's reader.</param>
    /// <param name="field">The member's index in <see cref="Fields"/>.</param>
    /// <returns>The string.</returns>
    /// <exception cref="JsonException">The string is valid JSON but not valid UTF-16 text (a lone surrogate escape), as System.Text.Json reports it.</exception>
    protected string ReadString(ref Utf8JsonReader reader, int field)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw new JsonException($"the JSON property '{_fields[field].Name}' is a string that is not valid UTF-16 text ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// Whether this reader reads exactly what <paramref name="typeInfo"/> would: the same settable members under the same JSON names
    /// and types, the same required members and constructor parameters, and built-in converters with strict number handling for every
    /// member read directly. When it does not (e.g. the context was created with other options at run time), the fields are read with
    /// <paramref name="typeInfo"/>.
    /// </summary>
    internal bool Matches(JsonTypeInfo<TFields> typeInfo)
    {
        var options = typeInfo.Options;
        if (typeInfo.Kind != JsonTypeInfoKind.Object || options.PropertyNameCaseInsensitive || !options.AllowDuplicateProperties
            || options.RespectNullableAnnotations || options.RespectRequiredConstructorParameters
            || options.NumberHandling != JsonNumberHandling.Strict || typeInfo.NumberHandling is not (null or JsonNumberHandling.Strict)
            || typeInfo.UnmappedMemberHandling is JsonUnmappedMemberHandling.Disallow || options.UnmappedMemberHandling is JsonUnmappedMemberHandling.Disallow
            || typeInfo.PolymorphismOptions is not null || typeInfo.PreferredPropertyObjectCreationHandling is JsonObjectCreationHandling.Populate)
        {
            return false;
        }

        int count = 0;
        foreach (var property in typeInfo.Properties)
        {
            if (property.IsExtensionData || property.CustomConverter is not null || property.NumberHandling is not (null or JsonNumberHandling.Strict)
                || property.ObjectCreationHandling is JsonObjectCreationHandling.Populate)
            {
                return false;
            }

            // Source-generated metadata also binds required and init-only properties as "parameters" that are member initializers.
            bool parameter = property.AssociatedParameter is { IsMemberInitializer: false };
            if (property.Set is null && property.AssociatedParameter is null)
            {
                continue; // read-only: System.Text.Json does not read it either
            }

            int index = Array.FindIndex(_fields, f => f.Name == property.Name);
            if (index < 0 || _fields[index].Type != property.PropertyType || _fields[index].IsRequired != property.IsRequired
                || _fields[index].IsConstructorParameter != parameter)
            {
                return false;
            }

            // Read directly only while System.Text.Json would use its own converter too (no converter added to the options).
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (BuiltIn(type) is { } builtIn && (!options.TryGetTypeInfo(type, out var info) || !ReferenceEquals(info.Converter, builtIn)))
            {
                return false;
            }

            count++;
        }

        return count == _fields.Length;
    }

    private static (string Text, JsonTokenType Token) Expected(Type type)
    {
        if (type == typeof(bool))
        {
            return ("true or false", JsonTokenType.True);
        }

        return type == typeof(string) || type == typeof(Guid) || type == typeof(DateTime) || type == typeof(DateTimeOffset)
            ? ("a string", JsonTokenType.String)
            : ("a number", JsonTokenType.Number);
    }

    /// <summary>The built-in converter of a type the generated code reads directly, or <see langword="null"/> for any other type.</summary>
    private static JsonConverter? BuiltIn(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(string) ? JsonMetadataServices.StringConverter
            : type == typeof(bool) ? JsonMetadataServices.BooleanConverter
            : type == typeof(byte) ? JsonMetadataServices.ByteConverter
            : type == typeof(sbyte) ? JsonMetadataServices.SByteConverter
            : type == typeof(short) ? JsonMetadataServices.Int16Converter
            : type == typeof(ushort) ? JsonMetadataServices.UInt16Converter
            : type == typeof(int) ? JsonMetadataServices.Int32Converter
            : type == typeof(uint) ? JsonMetadataServices.UInt32Converter
            : type == typeof(long) ? JsonMetadataServices.Int64Converter
            : type == typeof(ulong) ? JsonMetadataServices.UInt64Converter
            : type == typeof(float) ? JsonMetadataServices.SingleConverter
            : type == typeof(double) ? JsonMetadataServices.DoubleConverter
            : type == typeof(decimal) ? JsonMetadataServices.DecimalConverter
            : type == typeof(Guid) ? JsonMetadataServices.GuidConverter
            : type == typeof(DateTime) ? JsonMetadataServices.DateTimeConverter
            : type == typeof(DateTimeOffset) ? JsonMetadataServices.DateTimeOffsetConverter
            : null;
    }
}
