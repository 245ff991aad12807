using System.Reflection;
using ApiPipeline.Generators.Chaining.Model;
using ApiPipeline.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Tests.Chaining;

/// <summary>The chain and registry models hold plain data only, and two parses of the same code are equal.</summary>
public sealed class ChainModelTests
{
    private static readonly Type[] Forbidden = [typeof(ISymbol), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Location), typeof(AttributeData)];

    [Fact]
    public void ModelDoesNotReachSymbolsSyntaxOrCompilations()
    {
        var visited = new HashSet<Type>();
        var violations = new List<string>();
        var pending = new Stack<Type>([typeof(ChainParseResult), typeof(ChainSpec), typeof(StepSpec), typeof(RegistrySpec), typeof(RegistryExtractor), typeof(RegistryChain), typeof(ShapeSpec), typeof(RegistryOutput), typeof(OutputParseResult), typeof(OutputName), typeof(DiagnosticInfo)]);
        while (pending.TryPop(out var type))
        {
            if (!visited.Add(type) || type.IsPrimitive || type == typeof(string))
            {
                continue;
            }

            if (Forbidden.Any(f => f.IsAssignableFrom(type)))
            {
                violations.Add(type.FullName!);
                continue;
            }

            foreach (var argument in type.GetGenericArguments())
            {
                pending.Push(argument);
            }

            if (type.IsArray)
            {
                pending.Push(type.GetElementType()!);
            }

            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                pending.Push(field.FieldType);
            }
        }

        Assert.Empty(violations);
        Assert.Contains(typeof(BatchSpec), visited);
        Assert.Contains(typeof(ShapeMemberSpec), visited);
    }

    [Fact]
    public void TwoParsesOfTheSameChainAreEqual()
    {
        var first = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues);
        var second = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues);

        var a = first.RunResult.TrackedSteps[TrackingNames.ChainSpecs].Single().Outputs.Single().Value;
        var b = second.RunResult.TrackedSteps[TrackingNames.ChainSpecs].Single().Outputs.Single().Value;
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }
}
