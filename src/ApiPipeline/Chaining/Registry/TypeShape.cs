using System.ComponentModel;

namespace ApiPipeline;

/// <summary>How a member of a <see cref="TypeShape"/> can be written when an instance is created.</summary>
public enum ShapeWrite
{
    /// <summary>Read only.</summary>
    None = 0,

    /// <summary>Must be given to create an instance (a constructor parameter without default, or a <c>required</c> member).</summary>
    Required = 1,

    /// <summary>May be given (a constructor parameter with a default, a settable property, or a field that is not readonly).</summary>
    Optional = 2,
}

/// <summary>One member of a <see cref="TypeShape"/>.</summary>
/// <param name="Name">The member's name.</param>
/// <param name="Type">The member's type (<see cref="Nullable{T}"/> for nullable value types).</param>
/// <param name="TypeName">The member's type as written in C#, for messages (<c>long</c>, <c>string?</c>).</param>
/// <param name="Write">Whether and how it is given when an instance is created.</param>
/// <param name="CanRead">Whether it can be read.</param>
/// <param name="AllowsNull">Whether it accepts and may hold <see langword="null"/>.</param>
public sealed record ShapeMember(string Name, Type Type, string TypeName, ShapeWrite Write, bool CanRead, bool AllowsNull);

/// <summary>
/// A type's public members and how to create an instance from member values, generated at compile time (no reflection), so that a
/// configuration read at run time (YAML input mappings, <c>partition_by</c>) can read records and build inputs by member name.
/// </summary>
public abstract class TypeShape
{
    private protected TypeShape(string typeName, IReadOnlyList<ShapeMember> members)
    {
        TypeName = typeName;
        Members = members;
    }

    /// <summary>The type.</summary>
    public abstract Type Type { get; }

    /// <summary>The type's name as written in C#.</summary>
    public string TypeName { get; }

    /// <summary>The members, in declaration order.</summary>
    public IReadOnlyList<ShapeMember> Members { get; }

    /// <summary>Whether an instance can be created from member values.</summary>
    public abstract bool CanCreate { get; }

    /// <summary>Whether a member of <paramref name="type"/> holds a date (<see cref="DateTimeOffset"/>, <see cref="DateTime"/>, <see cref="DateOnly"/>, or nullable).</summary>
    internal static bool IsDate(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(DateOnly);
    }

    /// <summary>
    /// The index of the member called <paramref name="name"/>, or -1. Exact names win; otherwise case, <c>_</c> and <c>-</c> are ignored,
    /// so <c>repo_owner</c> finds <c>RepoOwner</c>.
    /// </summary>
    /// <param name="name">The name.</param>
    public int IndexOf(string name)
    {
        for (int i = 0; i < Members.Count; i++)
        {
            if (Members[i].Name == name)
            {
                return i;
            }
        }

        string wanted = Normalize(name);
        for (int i = 0; i < Members.Count; i++)
        {
            if (Normalize(Members[i].Name) == wanted)
            {
                return i;
            }
        }

        return -1;
    }

    internal abstract object? Get(object instance, int member);

    internal abstract object Create(object?[] values);

    private static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToUpperInvariant();
}

/// <summary>The <see cref="TypeShape"/> of <typeparamref name="T"/>, with generated accessors.</summary>
/// <typeparam name="T">The type.</typeparam>
public sealed class TypeShape<T> : TypeShape
{
    private readonly Func<T, int, object?> _get;
    private readonly Func<object?[], T>? _create;

    /// <summary>Creates the shape (generated code).</summary>
    /// <param name="typeName">The type's name as written in C#.</param>
    /// <param name="members">The members.</param>
    /// <param name="get">Reads member <c>i</c> of an instance.</param>
    /// <param name="create">Creates an instance from values aligned with <paramref name="members"/> (<see cref="ShapeValue.Unset"/> for those not given), or <see langword="null"/> if it cannot.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TypeShape(string typeName, IReadOnlyList<ShapeMember> members, Func<T, int, object?> get, Func<object?[], T>? create)
        : base(typeName, members)
    {
        ArgumentNullException.ThrowIfNull(get);
        _get = get;
        _create = create;
    }

    /// <inheritdoc/>
    public override Type Type => typeof(T);

    /// <inheritdoc/>
    public override bool CanCreate => _create is not null;

    /// <summary>Reads member <paramref name="member"/> of <paramref name="instance"/>.</summary>
    /// <param name="instance">The instance.</param>
    /// <param name="member">The member's index.</param>
    public object? Get(T instance, int member) => _get(instance, member);

    internal override object? Get(object instance, int member) => _get((T)instance, member);

    internal override object Create(object?[] values)
        => (_create ?? throw new InvalidOperationException($"{TypeName} cannot be created from member values."))(values)!;

    internal T CreateTyped(object?[] values)
        => (_create ?? throw new InvalidOperationException($"{TypeName} cannot be created from member values."))(values);
}

/// <summary>Marks a member value that was not given, in the values passed to a <see cref="TypeShape{T}"/>'s create function.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ShapeValue
{
    private ShapeValue()
    {
    }

    /// <summary>The only instance.</summary>
    public static ShapeValue Unset { get; } = new();
}
