using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.Analyzers;

/// <summary>
/// One attribute application on an extractor: its values (<see cref="AttributeData"/>) with the syntax of each argument, so a
/// check reads a setting and reports on exactly that argument. This is what a check for a new attribute starts from
/// (<see cref="ExtractorContext.FindAttribute"/>).
/// </summary>
internal sealed class AppliedAttribute
{
    public AppliedAttribute(AttributeData data, CancellationToken cancellationToken)
    {
        Data = data;
        Syntax = AttributeSyntaxes.Syntax(data, cancellationToken);
        foreach (var argument in data.NamedArguments)
        {
            Settings[argument.Key] = argument.Value;
        }
    }

    /// <summary>The attribute's values.</summary>
    public AttributeData Data { get; }

    /// <summary>Its syntax, when written in source.</summary>
    public AttributeSyntax? Syntax { get; }

    /// <summary>The named arguments set explicitly, by property name.</summary>
    public Dictionary<string, TypedConstant> Settings { get; } = new(StringComparer.Ordinal);

    /// <summary>The value of a named argument, when it is set and of type <typeparamref name="T"/>.</summary>
    public T? Setting<T>(string name)
        => Settings.TryGetValue(name, out var value) && value.Value is T typed ? typed : default;

    /// <summary>The constructor argument at <paramref name="index"/>, when it is of type <typeparamref name="T"/>.</summary>
    public T? ConstructorValue<T>(int index)
        => index < Data.ConstructorArguments.Length && Data.ConstructorArguments[index].Value is T typed ? typed : default;

    /// <summary>The syntax of a named argument (<c>Name = value</c>).</summary>
    public AttributeArgumentSyntax? NamedArgument(string name) => AttributeSyntaxes.NamedArgument(Syntax, name);

    /// <summary>The syntax of a constructor argument.</summary>
    public AttributeArgumentSyntax? ConstructorArgument(int index, string parameterName) => AttributeSyntaxes.ConstructorArgument(Syntax, index, parameterName);

    /// <summary>Where to report about a named argument's value: the value, else the attribute.</summary>
    public Location? ValueLocation(string name) => AttributeSyntaxes.ValueLocation(NamedArgument(name), Syntax);

    /// <summary>Where to report about a whole named argument (<c>Name = value</c>), for a fix that removes it.</summary>
    public Location? ArgumentLocation(string name) => NamedArgument(name)?.GetLocation() ?? Syntax?.GetLocation();
}
