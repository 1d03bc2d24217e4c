using BenchmarkDotNet.Attributes;
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
[Config(typeof(ShortRunConfig))]
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
    internal static long Walk(ref BsonReader reader)
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
}
