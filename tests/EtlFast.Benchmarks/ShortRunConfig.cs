using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace EtlFast.Benchmarks;

/// <summary>
/// The job every benchmark here runs with. Two shared cores: a short run (1 launch, 3 warmups, 15
/// measured iterations of ~100 ms) is enough to compare methods measured side by side; many short
/// iterations give Min a chance to catch quiet moments. In-process, because building a separate
/// benchmark exe (with the whole engine it references) outlasts BenchmarkDotNet's build timeout here.
/// </summary>
public sealed class ShortRunConfig : ManualConfig
{
    public ShortRunConfig()
    {
        AddJob(Job.ShortRun.WithIterationCount(15).WithIterationTime(TimeInterval.FromMilliseconds(100))
            .WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"));
        // The machine is shared: Min and Median show what the noise in Mean hides.
        AddColumn(StatisticColumn.Min, StatisticColumn.Median, new ThroughputColumn());
    }

    /// <summary>MB/s of BSON consumed: the average seed document size over the measured ns/doc.</summary>
    private sealed class ThroughputColumn : IColumn
    {
        private static readonly Lazy<double> AverageBytes = new(() => SeedDocuments.Build(BsonWalkBenchmark.Documents).Average(d => d.Length));

        public string Id => "BsonMBps";
        public string ColumnName => "MB/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => $"Megabytes (10^6) of BSON per second; documents average {AverageBytes.Value:F0} bytes";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? nsPerDoc = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return nsPerDoc is > 0
                ? (AverageBytes.Value / nsPerDoc.Value * 1e3).ToString("N0", CultureInfo.InvariantCulture)
                : "NA";
        }

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
    }
}
