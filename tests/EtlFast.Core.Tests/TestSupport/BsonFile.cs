using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;

namespace EtlFast.Core.Tests.TestSupport;

/// <summary>mongodump-style streams (documents back to back) written and read with MongoDB.Bson, the independent codec.</summary>
internal static class BsonFile
{
    public static byte[] Encode(IEnumerable<BsonDocument> documents)
    {
        using var output = new MemoryStream();
        foreach (BsonDocument d in documents)
        {
            output.Write(d.ToBson());
        }
        return output.ToArray();
    }

    /// <summary>Every document of a stream, decoded by MongoDB.Bson.</summary>
    public static List<BsonDocument> Decode(byte[] bson)
    {
        var documents = new List<BsonDocument>();
        using var stream = new MemoryStream(bson);
        using var reader = new BsonBinaryReader(stream);
        while (stream.Position < stream.Length)
        {
            documents.Add(BsonSerializer.Deserialize<BsonDocument>(reader));
        }
        return documents;
    }

    /// <summary>Byte offset of each top-level document, from the length prefixes.</summary>
    public static List<long> Offsets(byte[] bson)
    {
        var offsets = new List<long>();
        for (int pos = 0; pos < bson.Length; pos += BitConverter.ToInt32(bson, pos))
        {
            offsets.Add(pos);
        }
        return offsets;
    }

    /// <summary>The raw bytes of documents [from, to) of a stream.</summary>
    public static byte[] Slice(byte[] bson, int from, int to)
    {
        List<long> offsets = Offsets(bson);
        long start = from < offsets.Count ? offsets[from] : bson.Length;
        long end = to < offsets.Count ? offsets[to] : bson.Length;
        return bson[(int)start..(int)end];
    }
}
