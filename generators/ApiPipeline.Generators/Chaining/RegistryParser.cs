using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using ApiPipeline.Generators.Chaining.Model;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Chaining;

/// <summary>
/// Projects an <c>[Extractor]</c> class the generator can write onto a <see cref="RegistryExtractor"/>: names, and the shapes of its input
/// and record types (members, read expressions, and the code that creates an input from member values), for the generated registry.
/// </summary>
internal static class RegistryParser
{
    /// <summary>The registry entry of an extractor the generator writes (the caller checked that), or <see langword="null"/> when it is not accessible.</summary>
    public static RegistryExtractor? Parse(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        // An abstract extractor cannot be created by the registry's factory; its concrete subclasses are registered instead.
        if (type.IsAbstract
            || !Symbols.IsAccessibleInAssembly(type)
            || Symbols.ExtractorInterface(type) is not { } extractor)
        {
            return null;
        }

        var input = extractor.TypeArguments[0];
        var output = extractor.TypeArguments[1];
        if (!Symbols.IsAccessibleInAssembly(input) || !Symbols.IsAccessibleInAssembly(output))
        {
            return null;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new RegistryExtractor(Symbols.PlainName(type), Symbols.FullName(type), Shape(input), Shape(output, withPaths: true));
    }

    /// <summary>The most segments of a dotted path a record shape offers (<c>Owner.Address.City</c>).</summary>
    private const int MaxPathSegments = 3;

    /// <summary>
    /// The members of <paramref name="type"/> (readable ones, then constructor parameters without a property) and how to create one.
    /// With <paramref name="withPaths"/> (a record's shape), readable members of nested objects follow as dotted paths.
    /// </summary>
    private static ShapeSpec Shape(ITypeSymbol type, bool withPaths = false)
    {
        var creation = Symbols.Creation(type);
        var members = new List<ShapeMemberSpec>();
        var writeIndex = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, memberType) in Symbols.Readable(type))
        {
            if (!Symbols.IsAccessibleInAssembly(memberType))
            {
                continue;
            }

            var writable = creation?.Find(name);
            writeIndex[name] = members.Count;
            members.Add(new ShapeMemberSpec(name, TypeOf(memberType), Symbols.Display(memberType), WriteOf(writable, type), "value." + Symbols.Escape(name), Symbols.AllowsNull(memberType)));
        }

        if (creation is not null)
        {
            foreach (var writable in creation.Writable.Where(w => !writeIndex.ContainsKey(w.Name) && Symbols.IsAccessibleInAssembly(w.Type)))
            {
                writeIndex[writable.Name] = members.Count;
                members.Add(new ShapeMemberSpec(writable.Name, TypeOf(writable.Type), Symbols.Display(writable.Type), WriteOf(writable, type), null, Symbols.AllowsNull(writable.Type)));
            }
        }

        if (withPaths)
        {
            // Read only and after every other member, so the indices that Create uses do not move.
            foreach (var (name, memberType) in Symbols.Readable(type))
            {
                if (Symbols.IsAccessibleInAssembly(memberType))
                {
                    AddPaths(members, name, "value." + Symbols.Escape(name), memberType, nullable: false, [Symbols.Core(type)]);
                }
            }
        }

        return new ShapeSpec(Symbols.FullName(type), Symbols.Display(type), members.ToImmutableEquatableArray(), Create(type, creation, writeIndex));
    }

    /// <summary>
    /// The readable members of the object that <paramref name="read"/> reads (at <paramref name="path"/>), as members named by their dotted path,
    /// then theirs, down to <see cref="MaxPathSegments"/>. Null is handled as in a <c>[Map]</c> path (<c>ChainParser.Mapping</c>): after a
    /// member that may be null the path reads on with <c>?.</c>, so it reads null and its value types become nullable.
    /// </summary>
    private static void AddPaths(List<ShapeMemberSpec> members, string path, string read, ITypeSymbol type, bool nullable, List<ITypeSymbol> outer)
    {
        var core = Symbols.Core(type);
        if (path.Split('.').Length >= MaxPathSegments || !IsNestedObject(core) || outer.Any(o => SymbolEqualityComparer.Default.Equals(o, core)))
        {
            return;
        }

        // '?.' only on what can be null itself: inside a null-conditional read, a struct is reached only when its object was not null.
        bool mayBeNull = nullable || Symbols.AllowsNull(type);
        string access = read + (mayBeNull && (!type.IsValueType || Symbols.IsNullableValue(type)) ? "?." : ".");
        outer.Add(core);
        foreach (var (name, memberType) in Symbols.Readable(core))
        {
            if (!Symbols.IsAccessibleInAssembly(memberType))
            {
                continue;
            }

            string childPath = path + "." + name;
            string childRead = access + Symbols.Escape(name);
            bool lifted = mayBeNull && memberType.IsValueType && !Symbols.IsNullableValue(memberType);
            bool allowsNull = mayBeNull || Symbols.AllowsNull(memberType);
            string typeOf = lifted ? $"global::System.Nullable<{Symbols.FullName(memberType)}>" : TypeOf(memberType);
            string display = allowsNull ? Symbols.Display(Symbols.Core(memberType)) + "?" : Symbols.Display(memberType);
            members.Add(new ShapeMemberSpec(childPath, typeOf, display, 0, childRead, allowsNull));
            AddPaths(members, childPath, childRead, memberType, mayBeNull, outer);
        }

        outer.RemoveAt(outer.Count - 1);
    }

    /// <summary>An object whose members a path may read on: a class or struct of the user's (not a framework type, a collection or an enum).</summary>
    private static bool IsNestedObject(ITypeSymbol type)
        => type is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct, SpecialType: SpecialType.None } named
           && !IsFrameworkType(named)
           && !named.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable)
           && Symbols.Readable(named).Count > 0;

    private static bool IsFrameworkType(INamedTypeSymbol type)
    {
        string? root = null;
        for (var ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
        {
            root = ns.Name;
        }

        return root is "System" or "Microsoft";
    }

    private static int WriteOf(Writable? writable, ITypeSymbol type)
        => writable is null || !Writes(writable, type) ? 0 : writable.Required ? 1 : 2;

    /// <summary>
    /// Whether a member can be given at creation: a parameter, a settable property or field, or an init-only property. The generated code
    /// calls an init-only setter through an <c>[UnsafeAccessor]</c>, which needs a declaring type it can name and the runtime can bind: not
    /// a generic one, whose member a record still sets in a <c>with</c> copy.
    /// </summary>
    private static bool Writes(Writable writable, ITypeSymbol type)
        => writable.Required || writable.Kind != WritableKind.Init || (ThroughCopy(writable) ? type.IsRecord : Symbols.IsAccessibleInAssembly(writable.Declarer!));

    /// <summary>Whether an init-only member is set in a <c>with</c> copy: it is declared by a generic type (<see cref="Writes"/>).</summary>
    private static bool ThroughCopy(Writable writable) => writable.Declarer is INamedTypeSymbol { IsGenericType: true };

    /// <summary>
    /// The body of <c>static values =&gt; …</c>: a constructor call, then the optional properties that were given. C# sets an init-only
    /// property only in an initializer, which cannot leave out a member that was not given (it keeps its initializer's value), so those
    /// are set through a local <c>[UnsafeAccessor]</c> to their setter: no reflection, no copy (a <c>with</c> would clone a record).
    /// </summary>
    private static string? Create(ITypeSymbol type, Creation? creation, Dictionary<string, int> index)
    {
        if (creation is null || creation.Writable.Any(w => w.Required && !index.ContainsKey(w.Name)))
        {
            return null;
        }

        var arguments = new List<string>();
        var initializers = new List<string>();
        var after = new StringBuilder();
        var setters = new StringBuilder();
        foreach (var writable in creation.Writable)
        {
            if (!index.TryGetValue(writable.Name, out int i))
            {
                continue;
            }

            string value = Cast(writable.Type, i);
            if (writable.Kind == WritableKind.Parameter)
            {
                arguments.Add(writable.Required
                    ? $"{Symbols.Escape(writable.Name)}: {value}"
                    : $"{Symbols.Escape(writable.Name)}: values[{i}] is global::ApiPipeline.ShapeValue ? {writable.DefaultLiteral} : {value}");
            }
            else if (writable.Required)
            {
                initializers.Add($"{Symbols.Escape(writable.Name)} = {value}");
            }
            else if (Writes(writable, type))
            {
                string byRef = type.IsValueType ? "ref " : string.Empty;
                string assign = writable.Kind == WritableKind.Set ? $"result.{Symbols.Escape(writable.Name)} = {value};"
                    : ThroughCopy(writable) ? $"result = result with {{ {Symbols.Escape(writable.Name)} = {value} }};"
                    : $"Init{i}({byRef}result, {value});";
                after.Append($" if (values[{i}] is not global::ApiPipeline.ShapeValue) {assign}");
                if (writable.Kind == WritableKind.Init && !ThroughCopy(writable))
                {
                    setters.Append($" [global::System.Runtime.CompilerServices.UnsafeAccessor(global::System.Runtime.CompilerServices.UnsafeAccessorKind.Method, Name = {Conversions.Quote("set_" + writable.Name)})]"
                        + $" static extern void Init{i}({byRef}{Symbols.FullName(writable.Declarer!)} instance, {Symbols.FullNameOfValue(writable.Type)} value);");
                }
            }
        }

        string created = $"new {Symbols.FullName(type)}({string.Join(", ", arguments)})";
        if (initializers.Count > 0)
        {
            created += $" {{ {string.Join(", ", initializers)} }}";
        }

        return after.Length == 0 ? created : $"{{ var result = {created};{after} return result;{setters} }}";
    }

    /// <summary>
    /// The value at <paramref name="index"/> as <paramref name="type"/>. A reference type declared where nullable annotations are off
    /// (oblivious) is cast as not null: the registry, <c>#nullable enable</c>, may spell it as a type argument (<c>Search&lt;string&gt;</c>),
    /// where it is not nullable, and an oblivious member takes either.
    /// </summary>
    private static string Cast(ITypeSymbol type, int index)
        => $"({Symbols.FullNameWithNullable(type)})values[{index}]" + (Symbols.AllowsNull(type) && !(type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.None) ? string.Empty : "!");

    /// <summary>The type for <c>typeof(…)</c>: fully qualified, nullable value types kept, nullable reference annotations dropped.</summary>
    private static string TypeOf(ITypeSymbol type) => type.TypeKind == TypeKind.Dynamic ? "object" : Symbols.FullName(type); // typeof(dynamic) does not compile
}
