using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.Analyzers;

/// <summary>Finds the argument syntax of an attribute application, so diagnostics land on the exact argument.</summary>
internal static class AttributeSyntaxes
{
    /// <summary>The syntax of <paramref name="attribute"/>, or <see langword="null"/> (from metadata, or not an attribute).</summary>
    public static AttributeSyntax? Syntax(AttributeData attribute, System.Threading.CancellationToken cancellationToken)
        => attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;

    /// <summary>The constructor argument at <paramref name="index"/>, written positionally or as <c>parameterName: value</c>.</summary>
    public static AttributeArgumentSyntax? ConstructorArgument(AttributeSyntax? attribute, int index, string parameterName)
    {
        var arguments = attribute?.ArgumentList?.Arguments;
        if (arguments is not { } list)
        {
            return null;
        }

        foreach (var argument in list)
        {
            if (argument.NameColon?.Name.Identifier.ValueText == parameterName)
            {
                return argument;
            }
        }

        int position = 0;
        foreach (var argument in list)
        {
            if (argument.NameEquals is not null || argument.NameColon is not null)
            {
                continue;
            }

            if (position++ == index)
            {
                return argument;
            }
        }

        return null;
    }

    /// <summary>The named argument <c>Name = value</c>.</summary>
    public static AttributeArgumentSyntax? NamedArgument(AttributeSyntax? attribute, string name)
    {
        var arguments = attribute?.ArgumentList?.Arguments;
        if (arguments is not { } list)
        {
            return null;
        }

        foreach (var argument in list)
        {
            if (argument.NameEquals?.Name.Identifier.ValueText == name)
            {
                return argument;
            }
        }

        return null;
    }

    /// <summary>The location of an argument's value, or of the whole attribute when there is no such argument.</summary>
    public static Location? ValueLocation(AttributeArgumentSyntax? argument, AttributeSyntax? attribute)
        => argument?.Expression.GetLocation() ?? attribute?.GetLocation();
}
