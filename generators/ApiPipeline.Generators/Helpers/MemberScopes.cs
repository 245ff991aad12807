using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Helpers;

/// <summary>
/// The types that declare the members of a type, in the order C# member lookup prefers them. The generator (URL binding, registry
/// shapes, mapping paths and targets) and the analyzers compile this same file (linked into their project), so they agree on which
/// members an input has.
/// </summary>
internal static class MemberScopes
{
    /// <summary>
    /// <paramref name="type"/> itself first; then a class's or struct's base classes (without <see cref="object"/> and
    /// <see cref="System.ValueType"/>), or an interface's base interfaces, each before the interfaces it extends (so a member an
    /// interface hides with <c>new</c> comes after the one that hides it).
    /// </summary>
    public static IEnumerable<ITypeSymbol> Of(ITypeSymbol type)
    {
        if (type.TypeKind == TypeKind.Interface)
        {
            // An interface has more base interfaces than any interface it extends: the stable sort puts the derived one first.
            return new[] { type }.Concat(type.AllInterfaces.OrderByDescending(i => i.AllInterfaces.Length));
        }

        var types = new List<ITypeSymbol>();
        for (var current = type; current is not null && current.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); current = current.BaseType)
        {
            types.Add(current);
        }

        return types;
    }

    /// <summary>
    /// Whether <c>value.Name</c> is ambiguous on a value of interface <paramref name="type"/> (C# reports CS0229): two of the interfaces
    /// that declare an instance member <paramref name="name"/>, neither extending the other, are not hidden by one that extends them.
    /// Such a member cannot be read by its name, so it is not one of the type's members. Never for a class or struct.
    /// </summary>
    public static bool IsAmbiguous(ITypeSymbol type, string name)
    {
        if (type.TypeKind != TypeKind.Interface)
        {
            return false;
        }

        var declaring = Of(type).Where(scope => scope.GetMembers(name).Any(member => !member.IsStatic)).ToList();
        return declaring.Count(scope => !declaring.Any(other => other.AllInterfaces.Any(extended => SymbolEqualityComparer.Default.Equals(extended, scope)))) > 1;
    }
}
