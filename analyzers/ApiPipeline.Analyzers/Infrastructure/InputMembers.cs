using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Analyzers;

/// <summary>A public member of an extractor's input type, as the generator binds it.</summary>
internal sealed class InputMember
{
    public InputMember(ISymbol symbol, AttributeData? query, string? queryName)
    {
        Symbol = symbol;
        Query = query;
        QueryName = queryName;
    }

    /// <summary>The property or field.</summary>
    public ISymbol Symbol { get; }

    /// <summary>The member name.</summary>
    public string Name => Symbol.Name;

    /// <summary>Its <c>[Query]</c> (on the member or on the record parameter it comes from), if any.</summary>
    public AttributeData? Query { get; }

    /// <summary>The query parameter it is sent as, when it has <c>[Query]</c>.</summary>
    public string? QueryName { get; }

    /// <summary>Where to report about the <c>[Query]</c>: the attribute's argument, the attribute, or the member.</summary>
    public Location Location(CancellationToken cancellationToken)
    {
        var syntax = Query is null ? null : AttributeSyntaxes.Syntax(Query, cancellationToken);
        var location = syntax?.ArgumentList?.Arguments.FirstOrDefault()?.Expression.GetLocation() ?? syntax?.GetLocation();
        return location ?? (Symbol.Locations.IsDefaultOrEmpty ? Microsoft.CodeAnalysis.Location.None : Symbol.Locations[0]);
    }
}

/// <summary>Lists the members of an input type the way the generator does (public instance properties with a public getter, and public fields, base classes or base interfaces included).</summary>
internal static class InputMembers
{
    /// <summary>The members of <paramref name="inputType"/>; the first of two with the same normalized name wins, as in the generator.</summary>
    public static List<InputMember> Of(ITypeSymbol inputType, KnownTypes known)
    {
        // [Query] on a positional parameter: the input type's own, then its base types' (as the generator reads them).
        var parameterQueries = new Dictionary<string, AttributeData>();
        for (var current = known.QueryAttribute is null ? null : inputType as INamedTypeSymbol; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            foreach (var constructor in current.InstanceConstructors)
            {
                foreach (var parameter in constructor.Parameters)
                {
                    foreach (var attribute in parameter.GetAttributes())
                    {
                        if (KnownTypes.Is(attribute, known.QueryAttribute) && !parameterQueries.ContainsKey(parameter.Name))
                        {
                            parameterQueries[parameter.Name] = attribute;
                        }
                    }
                }
            }
        }

        var result = new List<InputMember>();
        var seen = new HashSet<string>();
        foreach (var current in MemberScopes.Of(inputType))
        {
            foreach (var symbol in current.GetMembers())
            {
                bool isMember = symbol switch
                {
                    IPropertySymbol { IsStatic: false, IsIndexer: false, DeclaredAccessibility: Accessibility.Public, GetMethod.DeclaredAccessibility: Accessibility.Public } => true,
                    IFieldSymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public, IsImplicitlyDeclared: false } => true,
                    _ => false,
                };
                if (!isMember || MemberScopes.IsAmbiguous(inputType, symbol.Name) || !seen.Add(NameRules.Normalize(symbol.Name)))
                {
                    continue;
                }

                AttributeData? query = null;
                if (known.QueryAttribute is not null)
                {
                    query = symbol.GetAttributes().FirstOrDefault(a => KnownTypes.Is(a, known.QueryAttribute));
                }

                if (query is null)
                {
                    parameterQueries.TryGetValue(symbol.Name, out query);
                }

                string? queryName = null;
                if (query is not null)
                {
                    queryName = query.ConstructorArguments.Length == 1 && query.ConstructorArguments[0].Value is string given && given.Length > 0
                        ? given
                        : NameRules.SnakeCase(symbol.Name);
                }

                result.Add(new InputMember(symbol, query, queryName));
            }
        }

        return result;
    }

    /// <summary>Whether <paramref name="type"/> is an input type worth checking: declared in source, and not <c>NoInput</c>.</summary>
    public static bool IsUserInput(ITypeSymbol? type, KnownTypes known)
        => type is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } named
           && !SymbolEqualityComparer.Default.Equals(named, known.NoInput)
           && named.Locations.Any(l => l.IsInSource);
}
