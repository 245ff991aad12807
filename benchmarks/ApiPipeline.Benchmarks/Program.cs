using System.Reflection;
using ApiPipeline.Benchmarks;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

// The BenchmarkDotNet suite of issue 7. Quick run (a few minutes; --inProcess skips the ~30 s child-project build per benchmark
// by using InProcessEmitToolchain):
//   dotnet run -c Release --project benchmarks/ApiPipeline.Benchmarks -- --filter '*' --job short --inProcess
// One class:            ... -- --filter '*PageParse*' --job short --inProcess
// Full precision:       ... -- --filter '*'
// Every class pairs the runtime ("Runtime") with the hand-written optimal code ("Baseline", the Ratio/Alloc Ratio bar) per category;
// the "B/record" column is the allocation per record of a page (allocated bytes per operation / records per operation).
var config = DefaultConfig.Instance
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(CategoriesColumn.Default)
    .AddColumn(new BytesPerRecordColumn())
    .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
    .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared))
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);

namespace ApiPipeline.Benchmarks
{
    /// <summary>How many records one operation of a benchmark handles, for the B/record column.</summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
    public sealed class RecordsPerOperationAttribute(int records) : Attribute
    {
        public int Records { get; } = records;
    }

    /// <summary>Allocated bytes per operation divided by <see cref="RecordsPerOperationAttribute.Records"/>.</summary>
    internal sealed class BytesPerRecordColumn : IColumn
    {
        public string Id => nameof(BytesPerRecordColumn);

        public string ColumnName => "B/record";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Metric;

        public int PriorityInCategory => 10;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Allocated bytes per record (allocated per operation / records per operation)";

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var method = benchmarkCase.Descriptor.WorkloadMethod;
            int records = (method.GetCustomAttribute<RecordsPerOperationAttribute>() ?? method.DeclaringType?.GetCustomAttribute<RecordsPerOperationAttribute>())?.Records ?? 0;
            var report = summary[benchmarkCase];
            if (records <= 0 || report is null || !report.Success)
            {
                return "-";
            }

            long? bytes = report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase);
            return bytes is null ? "?" : (bytes.Value / (double)records).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
