using System.Globalization;

namespace ApiPipeline;

/// <summary>
/// An input mapping read at run time (YAML): for each member of the step's input that is mapped, where its value comes from (the chain
/// input, the previous step's record, or the record of an earlier step the input descends from, read from its <see cref="ChainLineage"/>,
/// by member index of their shapes) and how it is converted. Values pass as objects, in one array per input; attribute-declared chains
/// use generated mapping code instead.
/// </summary>
internal sealed class RuntimeMapping
{
    private RuntimeMapping(TypeShape? target, IReadOnlyList<MappingSlot> slots)
    {
        Target = target;
        Slots = slots;
        EarlierSteps = [.. slots.Where(s => s.FromStep > 0).Select(s => s.FromStep).Distinct().Order()];
    }

    /// <summary>The record of the step before is the input as it is.</summary>
    public static RuntimeMapping Identity { get; } = new(null, []);

    public TypeShape? Target { get; }

    public IReadOnlyList<MappingSlot> Slots { get; }

    public bool IsIdentity => Target is null;

    /// <summary>The 1-based positions of the steps before the previous one whose records the mapping reads (through the lineage).</summary>
    public IReadOnlyList<int> EarlierSteps { get; }

    public static RuntimeMapping Create(TypeShape target, IReadOnlyList<MappingSlot> slots) => new(target, slots);

    public object?[] Evaluate(object? chainInput, object? parent, ChainLineage? lineage = null) => Evaluate(chainInput, parent, lineage, skipBatched: false);

    private object?[] Evaluate(object? chainInput, object? parent, ChainLineage? lineage, bool skipBatched)
    {
        var values = new object?[Target!.Members.Count];
        Array.Fill(values, ShapeValue.Unset);
        foreach (var slot in Slots)
        {
            if (skipBatched && slot.Batched)
            {
                continue;
            }

            object? instance = slot.FromChainInput ? chainInput
                : slot.FromStep > 0 ? (lineage ?? throw new InvalidOperationException($"The mapping from '{slot.Describe}' reads step {slot.FromStep}, but the input carries no lineage.")).Get<object>(slot.FromStep)
                : parent;
            object? value = slot.Source is null ? instance : instance is null ? null : slot.Source.Get(instance, slot.SourceMember);
            value = slot.Convert(value);
            if (value is null && !Target.Members[slot.Target].AllowsNull)
            {
                throw new ChainMappingException($"The mapping from '{slot.Describe}' gave null, but '{Target.Members[slot.Target].Name}' of {Target.TypeName} does not accept null.");
            }

            values[slot.Target] = value;
        }

        return values;
    }

    /// <summary>
    /// The input of a batched step: chain-input slots as in <see cref="Evaluate(object, object, ChainLineage)"/>, batched slots over the
    /// batch: joined with commas into a string member, or collected into a collection member.
    /// </summary>
    public object?[] EvaluateBatch<TParent>(object? chainInput, IReadOnlyList<TParent> batch)
    {
        var values = Evaluate(chainInput, null, null, skipBatched: true);
        foreach (var slot in Slots)
        {
            if (!slot.Batched)
            {
                continue;
            }

            var items = new object[batch.Count];
            for (int i = 0; i < batch.Count; i++)
            {
                object? record = batch[i];
                items[i] = slot.Convert(record is null ? null : slot.Source!.Get(record, slot.SourceMember))
                    ?? throw new ChainMappingException($"The mapping from '{slot.Describe}' gave null for record {i} of a batch; '{Target!.Members[slot.Target].Name}' of {Target.TypeName} takes one value per record.");
            }

            values[slot.Target] = slot.Collect is { } collect ? collect(items) : string.Join(",", items);
        }

        return values;
    }
}

/// <summary>
/// One mapped member: target index, source (shape and member; no shape for the whole value), conversion; <see cref="Batched"/> slots
/// collect one value per record of a batch.
/// </summary>
internal sealed record MappingSlot(int Target, bool FromChainInput, TypeShape? Source, int SourceMember, Func<object?, object?> Convert, string Describe)
{
    /// <summary>Whether the slot takes one value per record of a batch (a batched step's string or collection member).</summary>
    public bool Batched { get; init; }

    /// <summary>For a batched collection member: builds it from the batch's converted values; <see langword="null"/> joins them with commas.</summary>
    public Func<object[], object>? Collect { get; init; }

    /// <summary>The 1-based step before the previous one whose record (from the lineage) the value is read from; 0 for the chain input or the previous record.</summary>
    public int FromStep { get; init; }
}

/// <summary>
/// The conversions a mapping may apply, the same at compile time (the generator) and at run time (YAML): identity, <c>T</c> → <c>T?</c>,
/// widening numbers that lose nothing, and numbers, <see cref="bool"/>, <see cref="Guid"/>, enums and dates to <see cref="string"/>
/// (invariant culture, ISO 8601). Nothing that can lose data: no narrowing, no <c>long</c> → <c>double</c>, no parsing of strings.
/// </summary>
internal static class ValueConversion
{
    private static readonly Func<object?, object?> Same = static value => value;

    /// <summary>The conversion from <paramref name="from"/> to <paramref name="to"/>, or <see langword="null"/> when there is no safe one.</summary>
    public static Func<object?, object?>? Find(Type from, Type to)
    {
        var source = Nullable.GetUnderlyingType(from) ?? from;
        var target = Nullable.GetUnderlyingType(to) ?? to;
        if (source == target || (!source.IsValueType && to == typeof(object)))
        {
            return Same;
        }

        if (target == typeof(string))
        {
            return ToText(source);
        }

        if (Widening(source, target))
        {
            // Convert has no char to floating-point or decimal conversion: a char goes as its code, as C# converts it.
            return value => value is null ? null : System.Convert.ChangeType(value is char c ? (ushort)c : value, target, CultureInfo.InvariantCulture);
        }

        return null;
    }

    private static Func<object?, object?>? ToText(Type source)
    {
        if (source == typeof(DateTimeOffset))
        {
            return static value => value is DateTimeOffset d ? d.ToString("O", CultureInfo.InvariantCulture) : null;
        }

        if (source == typeof(DateTime))
        {
            return static value => value is DateTime d ? d.ToString("O", CultureInfo.InvariantCulture) : null;
        }

        if (source == typeof(DateOnly))
        {
            return static value => value is DateOnly d ? ChainMapping.Text(d) : null;
        }

        if (source == typeof(TimeOnly))
        {
            return static value => value is TimeOnly t ? ChainMapping.Text(t) : null;
        }

        if (source == typeof(bool))
        {
            return static value => value is bool b ? (b ? "true" : "false") : null;
        }

        if (source.IsEnum || source == typeof(Guid) || source == typeof(char) || Rank(source) > 0 || source == typeof(decimal) || source == typeof(double) || source == typeof(float))
        {
            return static value => value switch
            {
                null => null,
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                float f => f.ToString("R", CultureInfo.InvariantCulture),
                IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
        }

        return null;
    }

    /// <summary>Implicit numeric conversions that keep every value exactly.</summary>
    private static bool Widening(Type source, Type target)
    {
        if (target == typeof(decimal))
        {
            return Rank(source) > 0;
        }

        if (target == typeof(double))
        {
            return source == typeof(float) || (Rank(source) > 0 && Rank(source) <= 3);
        }

        if (target == typeof(float))
        {
            return source == typeof(sbyte) || source == typeof(byte) || source == typeof(short) || source == typeof(ushort);
        }

        int s = Rank(source), t = Rank(target);
        if (s == 0 || t == 0 || t <= s || target == typeof(char))
        {
            return false;
        }

        bool sourceSigned = Signed(source), targetSigned = Signed(target);
        return sourceSigned == targetSigned || (!sourceSigned && targetSigned);
    }

    /// <summary>Integral size rank: 1 byte … 4 long; 0 for anything else. Signed and unsigned of a size share a rank.</summary>
    private static int Rank(Type type)
        => type == typeof(sbyte) || type == typeof(byte) ? 1
            : type == typeof(short) || type == typeof(ushort) || type == typeof(char) ? 2
            : type == typeof(int) || type == typeof(uint) ? 3
            : type == typeof(long) || type == typeof(ulong) ? 4
            : 0;

    private static bool Signed(Type type) => type == typeof(sbyte) || type == typeof(short) || type == typeof(int) || type == typeof(long);
}

/// <summary>
/// The collection members a batched YAML step can fill, without reflection: arrays of, <c>List&lt;T&gt;</c> of, and the interfaces an array
/// implements over (<c>IReadOnlyList&lt;T&gt;</c>, <c>IEnumerable&lt;T&gt;</c>, …) the element types below.
/// </summary>
internal static class BatchCollection
{
    /// <summary>The element types, for messages.</summary>
    public const string Elements = "string, long, int or Guid";

    /// <summary>The element type and builder for a member of type <paramref name="target"/>, or <see langword="null"/> when it is not one.</summary>
    public static (Type Element, Func<object[], object> Create)? For(Type target)
        => Of<string>(target) ?? Of<long>(target) ?? Of<int>(target) ?? Of<Guid>(target);

    private static (Type Element, Func<object[], object> Create)? Of<T>(Type target)
    {
        if (target == typeof(List<T>))
        {
            return (typeof(T), static items => items.Select(static item => (T)item).ToList());
        }

        // An array, or a generic interface an array implements (IReadOnlyList<T>, IEnumerable<T>, …); not object or a non-generic IEnumerable,
        // which the generated URL code could only write with ToString().
        return target == typeof(T[]) || (target.IsGenericType && target.IsAssignableFrom(typeof(T[])))
            ? (typeof(T), static items => items.Select(static item => (T)item).ToArray())
            : null;
    }
}
