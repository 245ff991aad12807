using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Chaining;

/// <summary>
/// What the generated registry, in a file of its own, needs to name a class and call one of its constructors. Shared by the parsers of
/// the classes it creates with <c>new</c> (<c>[RegisteredExtractor]</c>, <c>[Output]</c>); each keeps its own constructor shapes,
/// order of preference and diagnostic.
/// </summary>
internal static class Creatable
{
    /// <summary>
    /// Why the registry cannot name <paramref name="type"/> although it is accessible (file-local, or <c>[Obsolete(…, true)]</c>,
    /// either itself or a containing type), with what to do; <see langword="null"/> when it can. <paramref name="attribute"/> is the
    /// attribute that lists it (<c>Output</c>).
    /// </summary>
    public static string? Unnameable(INamedTypeSymbol type, string attribute)
    {
        if (type.IsFileLocal || Symbols.ContainingTypes(type).Any(o => o.IsFileLocal))
        {
            return "is file-local (or nested in a file-local type), so the generated registry, in another file, cannot name it; declare it without the file modifier";
        }

        if (Symbols.IsObsoleteAsError(type) || Symbols.ContainingTypes(type).Any(Symbols.IsObsoleteAsError))
        {
            return $"is [Obsolete] as an error (or nested in such a type), so the generated registry cannot name it; remove [{attribute}] or the error flag";
        }

        return null;
    }

    /// <summary>
    /// The constructor the registry calls: the first of <paramref name="constructors"/>, by <paramref name="rank"/> (lowest first; a
    /// negative rank is a shape the registry does not call), that it can call: parameters passed by value or as <c>in</c> (the generated
    /// <c>new T(x)</c> passes them the same way), not <c>ref</c>, <c>out</c> or <c>ref readonly</c>; not obsolete as an error,
    /// and <c>[SetsRequiredMembers]</c> when the class or a base class has required members; <paramref name="argument"/> says why the
    /// registry cannot pass a parameter what it has (or <see langword="null"/>). Each constructor of a ranked shape passed over is
    /// added to <paramref name="refused"/> as a person writes it, with why; <see langword="null"/> when none is left.
    /// </summary>
    public static IMethodSymbol? FirstCallable(IEnumerable<IMethodSymbol> constructors, Func<IMethodSymbol, int> rank, Func<IParameterSymbol, string?> argument, List<string> refused)
    {
        foreach (var candidate in constructors.Select(c => (Constructor: c, Rank: rank(c))).Where(c => c.Rank >= 0).OrderBy(c => c.Rank).Select(c => c.Constructor))
        {
            if (Refusal(candidate, RequiredMembers(candidate.ContainingType), argument) is not { } refusal)
            {
                return candidate;
            }

            refused.Add($"{Signature(candidate)} {refusal}");
        }

        return null;
    }

    /// <summary>Why the registry cannot call <paramref name="constructor"/>, with what to do; <see langword="null"/> when it can.</summary>
    private static string? Refusal(IMethodSymbol constructor, IReadOnlyList<string> required, Func<IParameterSymbol, string?> argument)
    {
        if (CallRefusal(constructor) is { } refusal)
        {
            return refusal;
        }

        if (constructor.Parameters.Select(argument).FirstOrDefault(r => r is not null) is { } parameter)
        {
            return parameter;
        }

        if (required.Count > 0 && !Symbols.HasAttribute(constructor, "System.Diagnostics.CodeAnalysis.SetsRequiredMembersAttribute"))
        {
            string members = string.Join(", ", required.Select(m => $"'{m}'"));
            return $"does not set the required member{(required.Count == 1 ? "" : "s")} {members} (mark it [SetsRequiredMembers])";
        }

        return null;
    }

    /// <summary>
    /// Why generated code cannot call <paramref name="constructor"/> with values it holds as <c>object</c>, whatever they are;
    /// <see langword="null"/> when it can. Shared with the creation of inputs from member values (<see cref="Symbols.Creation"/>).
    /// </summary>
    public static string? CallRefusal(IMethodSymbol constructor)
    {
        // An in parameter takes the registry's plain argument as it is; ref and out need a variable of the caller's, and ref readonly
        // warns without one (CS9192, CS9193).
        if (constructor.Parameters.FirstOrDefault(p => p.RefKind is not (RefKind.None or RefKind.In)) is { } byReference)
        {
            return $"takes '{byReference.Name}' by {RefKindText(byReference.RefKind)}, but the registry passes its arguments by value (take it by value or as in)";
        }

        if (constructor.Parameters.FirstOrDefault(p => !Symbols.IsUsable(p, p.Type)) is { } refLike)
        {
            return $"takes '{refLike.Name}' as a {Symbols.Display(refLike.Type)}, which the registry cannot hold as an object";
        }

        return Symbols.IsObsoleteAsError(constructor) ? "is [Obsolete] as an error" : null;
    }

    /// <summary>The names of the class's required fields and properties, its base classes' included.</summary>
    private static List<string> RequiredMembers(INamedTypeSymbol type)
    {
        var names = new List<string>();
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true } && !names.Contains(member.Name))
                {
                    names.Add(member.Name);
                }
            }
        }

        return names;
    }

    /// <summary>The constructor as a person writes it: <c>CustomApi(out ExtractorOptions? options)</c>.</summary>
    private static string Signature(IMethodSymbol constructor)
        => constructor.ContainingType.Name + "(" + string.Join(", ", constructor.Parameters.Select(p =>
            (p.RefKind == RefKind.None ? "" : RefKindText(p.RefKind) + " ") + Symbols.Display(p.Type) + " " + p.Name)) + ")";

    private static string RefKindText(RefKind kind) => kind switch
    {
        RefKind.Ref => "ref",
        RefKind.Out => "out",
        RefKind.In => "in",
        _ => "ref readonly",
    };
}
