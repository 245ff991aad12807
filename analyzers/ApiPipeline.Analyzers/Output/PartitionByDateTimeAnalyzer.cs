using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ApiPipeline.Analyzers;

/// <summary>
/// APP1801: a lambda given to <c>JsonlOutputOptions&lt;T&gt;.PartitionBy</c> (or to <c>JsonlOutputFactory.Create</c>'s <c>partitionBy</c>)
/// returns a <see cref="System.DateTime"/>, which C#'s conversion to <see cref="System.DateTimeOffset"/> takes, when it has no kind, as the
/// machine's local time. Reported on each returned value so converted: cast or not (a cast calls the same operator), through <c>??</c>, or
/// by the one-argument constructor <c>new DateTimeOffset(d)</c>, which does the same; <c>new DateTimeOffset(d, TimeSpan.Zero)</c> is the user's
/// own choice and is not, nor is a DateTime whose kind is UTC on every machine (<c>DateTime.UtcNow</c>, <c>DateTime.UnixEpoch</c>,
/// <c>DateTimeOffset.UtcDateTime</c>, <c>DateTime.SpecifyKind(d, DateTimeKind.Utc)</c>, and their <c>Date</c> or <c>Add…</c>). A method group cannot return a DateTime
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

    private const string FactoryRemedy = "pass the lambda as partitionByDateTime instead (it reads a DateTime without a kind as UTC, as a file's partition_by does), or return a DateTimeOffset";

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
                // Not in a with expression: the copied options' PartitionBy would stay set beside PartitionByDateTime.
                inInitializer = assignment.Syntax.Parent is InitializerExpressionSyntax initializer && initializer.IsKind(SyntaxKind.ObjectInitializerExpression);
                break;
            case IArgumentOperation { Parameter: { } parameter } when factoryParameter is not null && SymbolEqualityComparer.Default.Equals(parameter.OriginalDefinition, factoryParameter):
                (member, remedy) = ("JsonlOutputFactory.Create's partitionBy", FactoryRemedy);
                break;
            default:
                return;
        }

        var returned = new List<IOperation>();
        CollectReturnedValues(function.Body, returned);
        var converted = returned.OfType<IConversionOperation>().Where(c => IsLocalConversion(c.OperatorMethod, dateTimeOffset) && !IsUtc(c.Operand)).ToList();

        // The same conversion without an IConversionOperation: a DateTime? coalesced with a DateTimeOffset, the one-argument constructor.
        var otherwise = returned.SelectMany(v => v switch
        {
            ICoalesceOperation coalesce when IsLocalConversion(coalesce.ValueConversion.MethodSymbol, dateTimeOffset) && !IsUtc(coalesce.Value) => [coalesce.Value],
            IObjectCreationOperation { Constructor.Parameters: [{ Type.SpecialType: SpecialType.System_DateTime }], Arguments: [{ Value: var argument }] } creation
                when SymbolEqualityComparer.Default.Equals(creation.Type, dateTimeOffset) && !IsUtc(argument) => [argument],
            _ => Enumerable.Empty<IOperation>(),
        }).ToList();
        if (converted.Count == 0 && otherwise.Count == 0)
        {
            return;
        }

        // Renaming keeps the lambda only when every value it returns is a DateTime converted implicitly (or null) and it declares no return type.
        bool renamable = inInitializer
            && otherwise.Count == 0
            && function.Syntax is not ParenthesizedLambdaExpressionSyntax { ReturnType: not null }
            && returned.All(v => v is IConversionOperation { IsImplicit: true } c && (converted.Contains(c) || c.Operand.ConstantValue is { HasValue: true, Value: null }));
        foreach (var conversion in converted)
        {
            Report(context, conversion.Syntax, conversion.Operand, renamable, member, remedy);
        }

        foreach (var value in otherwise)
        {
            Report(context, value.Syntax, value, renamable: false, member, remedy);
        }
    }

    private static void Report(OperationAnalysisContext context, SyntaxNode at, IOperation dateTime, bool renamable, string member, string remedy)
        => context.ReportDiagnostic(Diagnostic.Create(DateTimePartition, at.GetLocation(), renamable ? Rename : null, member, dateTime.Syntax.ToString(), remedy));

    // A DateTime whose kind is UTC whatever the machine: DateTime.UtcNow and UnixEpoch, DateTimeOffset.UtcDateTime,
    // DateTime.SpecifyKind(…, DateTimeKind.Utc), and a UTC one's Date or Add….
    private static bool IsUtc(IOperation dateTime) => dateTime switch
    {
        IPropertyReferenceOperation { Property: { Name: "UtcNow", ContainingType.SpecialType: SpecialType.System_DateTime } } => true,
        IFieldReferenceOperation { Field: { Name: "UnixEpoch", ContainingType.SpecialType: SpecialType.System_DateTime } } => true,
        IPropertyReferenceOperation { Property: { Name: "UtcDateTime", ContainingType: { Name: "DateTimeOffset", ContainingNamespace.Name: "System" } } } => true,
        IPropertyReferenceOperation { Property: { Name: "Date", ContainingType.SpecialType: SpecialType.System_DateTime }, Instance: { } date } => IsUtc(date),
        IInvocationOperation { TargetMethod: { Name: "SpecifyKind", ContainingType.SpecialType: SpecialType.System_DateTime } } specify
            => specify.Arguments.Any(a => a.Parameter?.Ordinal == 1 && a.Value.ConstantValue is { HasValue: true, Value: 1 }),
        IInvocationOperation { TargetMethod: { Name: var name, IsStatic: false, ContainingType.SpecialType: SpecialType.System_DateTime }, Instance: { } added }
            when name.StartsWith("Add", System.StringComparison.Ordinal) => IsUtc(added),
        _ => false,
    };

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
            case IConversionOperation { OperatorMethod: null, Operand: IConversionOperation or IConditionalOperation or ISwitchExpressionOperation or ICoalesceOperation or IObjectCreationOperation } wrapped:
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
            case ICoalesceOperation { ValueConversion.MethodSymbol: not null } converting:
                // The left value goes through an operator (DateTime? ?? DateTimeOffset: the local one), which the coalesce holds itself.
                values.Add(converting);
                Leaves(converting.WhenNull, values);
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
    private static bool IsLocalConversion(IMethodSymbol? conversion, INamedTypeSymbol dateTimeOffset)
        => conversion is { Name: WellKnownMemberNames.ImplicitConversionName, Parameters: [{ Type.SpecialType: SpecialType.System_DateTime }] }
            && SymbolEqualityComparer.Default.Equals(conversion.ContainingType, dateTimeOffset);
}
