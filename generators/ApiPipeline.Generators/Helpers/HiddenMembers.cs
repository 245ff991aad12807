using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Helpers;

/// <summary>
/// Which members of a generated part hide a member of a base class of the user's (a common base of API clients with a <c>Name</c>): the
/// emitters declare them <c>new</c>, so a generated file has no CS0108/CS0114 warning, and only them, so it has no CS0109 either.
/// </summary>
internal static class HiddenMembers
{
    /// <summary>
    /// The names of <paramref name="generated"/> (a member's name, and for a method the interface method it implements, which gives its
    /// parameters) that hide a member of a base class of <paramref name="type"/> it can see. A property hides every member of its name; a
    /// method hides a method of the same arity and parameters, and any other kind of member of its name. A base class that the generator
    /// writes a part for too (it has <paramref name="generatorAttribute"/>) gets the same members from that part, which the compilation
    /// seen here does not hold: <paramref name="baseInterface"/> gives the interface its part implements.
    /// </summary>
    public static ImmutableEquatableArray<string> Of(
        INamedTypeSymbol type,
        IReadOnlyList<(string Name, IMethodSymbol? Implements)> generated,
        Compilation compilation,
        string generatorAttribute,
        Func<INamedTypeSymbol, INamedTypeSymbol?> baseInterface)
    {
        var hidden = new List<string>();
        foreach (var (name, implemented) in generated)
        {
            for (var current = type.BaseType; current is not null && !hidden.Contains(name); current = current.BaseType)
            {
                bool declared = current.GetMembers(name).Any(m => compilation.IsSymbolAccessibleWithin(m, type) && (implemented is null || m is not IMethodSymbol method || SameParameters(method, implemented)));
                bool fromItsPart = current.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == generatorAttribute)
                    && (implemented is null || baseInterface(current) is not { } implementedThere || implementedThere.GetMembers(name).OfType<IMethodSymbol>().Any(m => SameParameters(m, implemented)));
                if (declared || fromItsPart)
                {
                    hidden.Add(name);
                }
            }
        }

        return hidden.ToImmutableEquatableArray();
    }

    private static bool SameParameters(IMethodSymbol method, IMethodSymbol other)
        => method.Arity == other.Arity
           && method.Parameters.Length == other.Parameters.Length
           && method.Parameters.Zip(other.Parameters, (a, b) => a.RefKind == b.RefKind && SymbolEqualityComparer.Default.Equals(a.Type, b.Type)).All(same => same);
}
