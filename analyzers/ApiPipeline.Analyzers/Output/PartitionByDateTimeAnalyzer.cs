using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ApiPipeline.Analyzers;

/// <summary>
/// APP1801: a lambda given to <c>JsonlOutputOptions&lt;T&gt;.PartitionBy</c> (or to <c>JsonlOutputFactory.Create</c>'s <c>partitionBy</c>)
/// returns a <see cref="System.DateTime"/>, which C#'s conversion to <see cref="System.DateTimeOffset"/> takes, when it has no kind, as the
/// machine's local time. Reported on each returned value so converted, cast or not (a cast calls the same operator); a constructor call
/// such as <c>new DateTimeOffset(d, TimeSpan.Zero)</c> is the user's own choice and is not. A method group cannot return a DateTime
/// for a <c>Func&lt;T, DateTimeOffset?&gt;</c> (C# does not convert method group returns), so only lambdas and anonymous methods are checked.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class PartitionByDateTimeAnalyzer : DiagnosticAnalyzer
{
    public const string DateTimePartitionId = "APP1801";

    /// <summary>Set (to "true") when the fix can rename <c>PartitionBy</c> to <c>PartitionByDateTime</c> in an initializer and keep the lambda.</summary>
    public const string RenameProperty = "RenameToPartitionByDateTime";

    public static readonly DiagnosticDescriptor DateTimePartition = new(
        DateTimePartitionId,
        "A DateTime partition date is converted with the machine's time zone",
        "{0} returns the DateTime '{1}', which C# converts to a DateTimeOffset taking a DateTime without a kind as the machine's local time, so the partition date depends on the machine's time zone; {2}",
        DiagnosticCategories.Output,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(DateTimePartitionId));

    private const string OptionsRemedy = "set PartitionByDateTime instead (it reads a DateTime without a kind as UTC, as a file's partition_by does), or return a DateTimeOffset";

    private const string FactoryRemedy = "create the output with new JsonlOutput<T>(typeInfo, new JsonlOutputOptions<T> { PartitionByDateTime = … }) instead (it reads a DateTime without a kind as UTC, as a file's partition_by does), or return a DateTimeOffset";

    private static readonly ImmutableDictionary<string, string?> Rename = ImmutableDictionary<string, string?>.Empty.Add(RenameProperty, "true");

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [DateTimePartition];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var partitionBy = start.Compilation.GetTypeByMetadataName("ApiPipeline.JsonlOutputOptions`1")?.GetMembers("PartitionBy").OfType<IPropertySymbol>().FirstOrDefault();
            var dateTimeOffset = start.Compilation.GetTypeByMetadataName("System.DateTimeOffset");
            if (partitionBy is null || dateTimeOffset is null)
            {
                return;
            }

            var factoryParameter = start.Compilation.GetTypeByMetadataName("ApiPipeline.Hosting.JsonlOutputFactory")?.GetMembers("Create")
                .OfType<IMethodSymbol>().SelectMany(m => m.Parameters).FirstOrDefault(p => p.Name == "partitionBy");
            start.RegisterOperationAction(
                operation => Analyze(operation, (IAnonymousFunctionOperation)operation.Operation, partitionBy, factoryParameter, dateTimeOffset),
                OperationKind.AnonymousFunction);
        });
    }

    private static void Analyze(OperationAnalysisContext context, IAnonymousFunctionOperation function, IPropertySymbol partitionBy, IParameterSymbol? factoryParameter, INamedTypeSymbol dateTimeOffset)
    {
        if (function.Parent is not IDelegateCreationOperation creation)
        {
            return;
        }

        string member, remedy;
        bool inInitializer = false;
        switch (creation.Parent)
        {
            case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation target } assignment
                when assignment.Value == creation && SymbolEqualityComparer.Default.Equals(target.Property.OriginalDefinition, partitionBy):
                (member, remedy) = ("PartitionBy", OptionsRemedy);
                inInitializer = assignment.Syntax.Parent is InitializerExpressionSyntax;
                break;
            case IArgumentOperation { Parameter: { } parameter } when factoryParameter is not null && SymbolEqualityComparer.Default.Equals(parameter.OriginalDefinition, factoryParameter):
                (member, remedy) = ("JsonlOutputFactory.Create's partitionBy", FactoryRemedy);
                break;
            default:
                return;
        }

        var returned = new List<IOperation>();
        CollectReturnedValues(function.Body, returned);
        var converted = returned.OfType<IConversionOperation>().Where(c => IsDateTimeToDateTimeOffset(c, dateTimeOffset)).ToList();
        if (converted.Count == 0)
        {
            return;
        }

        // Renaming keeps the lambda only when every value it returns is a DateTime converted implicitly (or null) and it declares no return type.
        bool renamable = inInitializer
            && function.Syntax is not ParenthesizedLambdaExpressionSyntax { ReturnType: not null }
            && returned.All(v => v is IConversionOperation { IsImplicit: true } c && (converted.Contains(c) || c.Operand.ConstantValue is { HasValue: true, Value: null }));
        foreach (var conversion in converted)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DateTimePartition,
                conversion.Syntax.GetLocation(),
                renamable ? Rename : null,
                member,
                conversion.Operand.Syntax.ToString(),
                remedy));
        }
    }

    // The values the function returns, through conditionals, switch expressions, ?? and nullable wrapping; not those of nested functions.
    private static void CollectReturnedValues(IOperation operation, List<IOperation> values)
    {
        foreach (var child in operation.ChildOperations)
        {
            switch (child)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    break;
                case IReturnOperation { ReturnedValue: { } value }:
                    Leaves(value, values);
                    break;
                default:
                    CollectReturnedValues(child, values);
                    break;
            }
        }
    }

    private static void Leaves(IOperation value, List<IOperation> values)
    {
        switch (value)
        {
            // To DateTimeOffset?, C# wraps a DateTimeOffset, converted or not, in a conversion without an operator.
            case IConversionOperation { OperatorMethod: null, Operand: IConversionOperation or IConditionalOperation or ISwitchExpressionOperation or ICoalesceOperation } wrapped:
                Leaves(wrapped.Operand, values);
                break;
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                Leaves(conditional.WhenTrue, values);
                Leaves(whenFalse, values);
                break;
            case ISwitchExpressionOperation switchExpression:
                foreach (var arm in switchExpression.Arms)
                {
                    Leaves(arm.Value, values);
                }

                break;
            case ICoalesceOperation coalesce:
                Leaves(coalesce.Value, values);
                Leaves(coalesce.WhenNull, values);
                break;
            default:
                values.Add(value);
                break;
        }
    }

    // DateTimeOffset's implicit operator from DateTime, lifted or not, implicit or cast: the conversion that reads a DateTime without a kind as local.
    private static bool IsDateTimeToDateTimeOffset(IConversionOperation conversion, INamedTypeSymbol dateTimeOffset)
        => conversion.OperatorMethod is { Name: WellKnownMemberNames.ImplicitConversionName, Parameters: [{ Type.SpecialType: SpecialType.System_DateTime }] } method
            && SymbolEqualityComparer.Default.Equals(method.ContainingType, dateTimeOffset);
}
