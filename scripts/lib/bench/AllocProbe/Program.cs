// Usage: AllocProbe [-c COLLECTION] FROM MAPPING SCHEMA postgres|null [JOBS]
// Runs one load like `etlfast load --mode clean` (target from the PG* variables) and prints one JSON
// line with the allocation and GC figures of LoadSummary, which the CLI's summary does not show.
// FROM is a .bson file or, for the live mode, a mongodb:// URI (bench.sh: the wire test server), read
// through the official driver like `etlfast load --from URI -c COLLECTION`; the line says which.
using System.Globalization;
using EtlFast.Core.Load;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;

string? collection = null;
if (args.Length >= 2 && args[0] == "-c")
{
    collection = args[1];
    args = args[2..];
}
if (args.Length is < 4 or > 5)
{
    Console.Error.WriteLine("usage: AllocProbe [-c COLLECTION] FROM MAPPING SCHEMA postgres|null [JOBS]");
    return 2;
}
string source = MongoSource.IsMongoUri(args[0]) ? "live" : "file";
LoadPlan plan = PlanCompiler.Compile(MappingParser.ParseFile(args[1]), args[2]);
var options = new LoadOptions
{
    From = args[0],
    Target = PgTarget.Parse(null, Environment.GetEnvironmentVariable),
    Jobs = args.Length == 5 ? int.Parse(args[4], CultureInfo.InvariantCulture) : Environment.ProcessorCount,
    Mode = LoadMode.Clean,
    Constraints = ConstraintTiming.After,
    NullSink = args[3] == "null",
    Collection = collection,
};
LoadSummary s = new Loader(plan, options, new SilentObserver(), CancellationToken.None).Run();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"source\":\"{source}\",\"sink\":\"{args[3]}\",\"jobs\":{options.Jobs},\"documents\":{s.Documents},\"rows\":{s.Rows},\"bson_bytes\":{s.BsonBytes},\"allocated_bytes\":{s.AllocatedBytes},\"gen0\":{s.Gen0},\"gen1\":{s.Gen1},\"gen2\":{s.Gen2},\"seconds\":{s.Seconds:F3},\"cpu_seconds\":{s.CpuSeconds:F3},\"peak_rss_bytes\":{s.PeakRssBytes}}}"));
return 0;

internal sealed class SilentObserver : ILoadObserver
{
    public void ChunkCommitted(long documents, long rows, long bsonBytes, ReadOnlySpan<long> tableRows)
    {
    }

    public void Phase(string what)
    {
    }
}
