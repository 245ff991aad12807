using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Helpers;

/// <summary>
/// The hint names of the files written for types. Roslyn compares hint names ignoring case and requires each to be unique, so a file is
/// named after its type (<c>Demo.Issues.g.cs</c>) unless another type's name is the same ignoring case (<c>Demo.issues</c>, or a class
/// <c>B</c> nested in class <c>Ns.A</c> next to a class <c>B</c> in namespace <c>Ns.A</c>): then each of those files gets a hash of its
/// type's exact metadata name (<c>Demo.Issues.549dffd0.g.cs</c>).
/// </summary>
internal static class HintNames
{
    private const string Extension = ".g.cs";

    /// <summary>
    /// The readable hint name: the full name without <c>global::</c>, then <paramref name="suffix"/> (ending in <c>.g.cs</c>). Hint names may
    /// not contain '@' (AddSource throws), so keyword identifiers lose their escape.
    /// </summary>
    public static string Readable(INamedTypeSymbol type, string suffix)
        => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty).Replace("@", string.Empty) + suffix;

    /// <summary>The metadata name with its namespace (<c>Ns.Outer+Inner</c>): unlike the readable name, it differs for every two types.</summary>
    public static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            name = outer.MetadataName + "+" + name;
        }

        for (var ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
        {
            name = ns.MetadataName + "." + name;
        }

        return name;
    }

    /// <summary>The hint names that occur more than once ignoring case, each spelling once, in ordinal order.</summary>
    public static ImmutableEquatableArray<string> Colliding(IEnumerable<string> hintNames)
        => hintNames
            .GroupBy(name => name, StringComparer.OrdinalIgnoreCase)
            .Where(group => group.Count() > 1)
            .SelectMany(group => group.Distinct(StringComparer.Ordinal))
            .OrderBy(name => name, StringComparer.Ordinal)
            .ToImmutableEquatableArray();

    /// <summary>
    /// <paramref name="hintName"/>, or when it is one of <paramref name="colliding"/>, the same with the 32-bit FNV-1a hash of
    /// <paramref name="metadataName"/> (UTF-8) before <c>.g.cs</c>: stable across processes and machines, unlike <c>string.GetHashCode</c>.
    /// </summary>
    public static string Unique(string hintName, string metadataName, ImmutableEquatableArray<string> colliding)
    {
        if (!colliding.Contains(hintName, StringComparer.OrdinalIgnoreCase))
        {
            return hintName;
        }

        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(metadataName))
        {
            hash = unchecked((hash ^ b) * 16777619);
        }

        return hintName.Substring(0, hintName.Length - Extension.Length) + "." + hash.ToString("x8", CultureInfo.InvariantCulture) + Extension;
    }
}
