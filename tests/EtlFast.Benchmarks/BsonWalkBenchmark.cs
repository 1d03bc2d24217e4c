using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;
using EtlFast.Bson;
using BsonReader = EtlFast.Bson.BsonReader;
using BsonType = EtlFast.Bson.BsonType;
using BsonBinaryReader = MongoDB.Bson.IO.BsonBinaryReader;
using BsonReaderState = MongoDB.Bson.IO.BsonReaderState;
using ByteArrayBuffer = MongoDB.Bson.IO.ByteArrayBuffer;
using ByteBufferStream = MongoDB.Bson.IO.ByteBufferStream;

namespace EtlFast.Benchmarks;

/// <summary>
/// Walks every element of seed-shaped user documents (about 5.2 KB each), touching each value, with
/// EtlFast's span reader, with the validator, and with MongoDB.Bson's own streaming
/// <see cref="BsonBinaryReader"/> as the baseline measured in the same run. One operation is one
/// document (OperationsPerInvoke), so Mean is ns/doc and Allocated is B/doc; MB/s counts 10^6 bytes
/// of BSON per second.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class BsonWalkBenchmark
{
    public const int Documents = 1000;

    private byte[][] _docs = [];

    [GlobalSetup]
    public void Setup() => _docs = SeedDocuments.Build(Documents);

    [Benchmark(Baseline = true, OperationsPerInvoke = Documents)]
    public long MongoBsonBinaryReader()
    {
        long sum = 0;
        foreach (byte[] doc in _docs)
        {
            using var stream = new ByteBufferStream(new ByteArrayBuffer(doc, isReadOnly: true));
            using var reader = new BsonBinaryReader(stream);
            sum += MongoWalk(reader);
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Documents)]
    public long EtlFastReader()
    {
        long sum = 0;
        foreach (byte[] doc in _docs)
        {
            var reader = BsonReader.Create(doc);
            sum += Walk(ref reader);
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Documents)]
    public long EtlFastValidator()
    {
        long sum = 0;
        foreach (byte[] doc in _docs)
        {
            sum += BsonValidator.Validate(doc, 0);
        }
        return sum;
    }

    // Reads every value through its typed accessor and folds it into a sum, so nothing is skipped.
    private static long Walk(ref BsonReader reader)
    {
        long sum = 0;
        while (reader.Read())
        {
            switch (reader.Type)
            {
                case BsonType.Document:
                case BsonType.Array:
                    var inner = reader.GetDocument();
                    sum += Walk(ref inner);
                    break;
                case BsonType.String:
                    ReadOnlySpan<byte> s = reader.GetStringUtf8();
                    sum += s.Length + (s.Length > 0 ? s[0] : 0);
                    break;
                case BsonType.Int32: sum += reader.GetInt32(); break;
                case BsonType.Int64: sum += reader.GetInt64(); break;
                case BsonType.Double: sum += (long)reader.GetDouble(); break;
                case BsonType.DateTime: sum += reader.GetDateTime(); break;
                case BsonType.Boolean: sum += reader.GetBoolean() ? 1 : 0; break;
                default: sum += reader.ValueLength; break;
            }
        }
        return sum;
    }

    private static long MongoWalk(BsonBinaryReader reader)
    {
        long sum = 0;
        reader.ReadStartDocument();
        sum += MongoElements(reader);
        reader.ReadEndDocument();
        return sum;
    }

    private static long MongoElements(BsonBinaryReader reader)
    {
        long sum = 0;
        while (reader.ReadBsonType() != MongoDB.Bson.BsonType.EndOfDocument)
        {
            if (reader.State == BsonReaderState.Name)
            {
                reader.SkipName();
            }
            switch (reader.CurrentBsonType)
            {
                case MongoDB.Bson.BsonType.Document:
                    reader.ReadStartDocument();
                    sum += MongoElements(reader);
                    reader.ReadEndDocument();
                    break;
                case MongoDB.Bson.BsonType.Array:
                    reader.ReadStartArray();
                    sum += MongoElements(reader);
                    reader.ReadEndArray();
                    break;
                case MongoDB.Bson.BsonType.String:
                    string s = reader.ReadString();
                    sum += s.Length + (s.Length > 0 ? s[0] : 0);
                    break;
                case MongoDB.Bson.BsonType.Int32: sum += reader.ReadInt32(); break;
                case MongoDB.Bson.BsonType.Int64: sum += reader.ReadInt64(); break;
                case MongoDB.Bson.BsonType.Double: sum += (long)reader.ReadDouble(); break;
                case MongoDB.Bson.BsonType.DateTime: sum += reader.ReadDateTime(); break;
                case MongoDB.Bson.BsonType.Boolean: sum += reader.ReadBoolean() ? 1 : 0; break;
                default: reader.SkipValue(); break;
            }
        }
        return sum;
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // Two shared cores: a short run (1 launch, 3 warmups, 15 measured iterations of ~100 ms)
            // is enough to compare readers measured side by side; many short iterations give Min a
            // chance to catch quiet moments. In-process, because building a separate benchmark exe
            // (with the whole engine it references) outlasts BenchmarkDotNet's build timeout here.
            AddJob(Job.ShortRun.WithIterationCount(15).WithIterationTime(TimeInterval.FromMilliseconds(100))
                .WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"));
            // The machine is shared: Min and Median show what the noise in Mean hides.
            AddColumn(StatisticColumn.Min, StatisticColumn.Median, new ThroughputColumn());
        }
    }

    /// <summary>MB/s of BSON walked: the average document size over the measured ns/doc.</summary>
    private sealed class ThroughputColumn : IColumn
    {
        private static readonly Lazy<double> AverageBytes = new(() => SeedDocuments.Build(Documents).Average(d => d.Length));

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
