using BenchmarkDotNet.Attributes;
using EtlFast.Core.Engine;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.PgCopy;
using BsonReader = EtlFast.Bson.BsonReader;

namespace EtlFast.Benchmarks;

/// <summary>
/// The row encoders: <see cref="DocumentEncoder"/> turning seed-shaped user documents into the binary
/// COPY rows of the seed mapping's 15 tables (examples/seed-users.json, about 41 rows per document),
/// as a worker does for each chunk. The baseline, measured in the same run, is one plain walk of every
/// element of the same documents with the span reader: the floor for any encoder that reads the whole
/// document. One operation is one document (OperationsPerInvoke), so Mean is ns/doc and Allocated is
/// B/doc; MB/s counts 10^6 bytes of BSON consumed per second.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortRunConfig))]
public class RowEncodeBenchmark
{
    public const int Documents = BsonWalkBenchmark.Documents;

    private byte[][] _docs = [];
    private DocumentEncoder? _encoder;

    [GlobalSetup]
    public void Setup()
    {
        _docs = SeedDocuments.Build(Documents);
        LoadPlan plan = PlanCompiler.Compile(MappingParser.ParseFile(Path.Combine(AppContext.BaseDirectory, "seed-users.json")), "bench");
        _encoder = new DocumentEncoder(plan);
        // One pass first: the buffers grow to their working size outside the measurement, and a
        // mapping that rejected the documents would measure nothing.
        long rows = EncodeAll();
        long bytes = _encoder.Buffers.Sum(b => (long)b.Length);
        Console.WriteLine($"// seed mapping: {plan.Tables.Length} tables, {rows / (double)Documents:F1} rows and {bytes / (double)Documents:F0} COPY bytes per document");
        if (rows < Documents * 15L)
        {
            throw new InvalidOperationException($"the seed mapping yielded only {rows} rows for {Documents} documents");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _encoder?.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Documents)]
    public long ReaderWalk()
    {
        long sum = 0;
        foreach (byte[] doc in _docs)
        {
            var reader = BsonReader.Create(doc);
            sum += BsonWalkBenchmark.Walk(ref reader);
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Documents)]
    public long EncodeSeedMapping() => EncodeAll();

    private long EncodeAll()
    {
        DocumentEncoder encoder = _encoder!;
        encoder.BeginChunk("bench");
        long offset = 0;
        foreach (byte[] doc in _docs)
        {
            if (!encoder.Encode(doc, offset))
            {
                throw new InvalidOperationException($"document at {offset} rejected: {encoder.LastReject}");
            }
            offset += doc.Length;
        }
        encoder.EndChunk();
        long rows = 0;
        foreach (CopyBuffer b in encoder.Buffers)
        {
            rows += b.Rows;
        }
        return rows;
    }
}
