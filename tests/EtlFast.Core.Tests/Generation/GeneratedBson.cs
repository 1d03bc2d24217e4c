using EtlFast.Core.Generation;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using BsonWriter = EtlFast.Bson.BsonWriter;

namespace EtlFast.Core.Tests.Generation;

/// <summary>Test helpers: generate seed users in memory, decode .bson streams with the MongoDB driver.</summary>
internal static class GeneratedBson
{
    public static byte[] Users(int count, ulong seed = SeedUsersGenerator.DefaultSeed)
    {
        using var output = new MemoryStream();
        new SeedUsersGenerator(seed).WriteUsers(output, count);
        return output.ToArray();
    }

    public static byte[] User(int id, ulong seed = SeedUsersGenerator.DefaultSeed)
    {
        using var writer = new BsonWriter();
        new SeedUsersGenerator(seed).WriteUser(writer, id);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Every document of a mongodump-style stream, decoded strictly (UTF-8 checked) by MongoDB.Bson.</summary>
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

    /// <summary>Sizes of the top-level documents of a stream, from their length prefixes.</summary>
    public static List<int> Sizes(byte[] bson)
    {
        var sizes = new List<int>();
        for (int pos = 0; pos < bson.Length;)
        {
            int size = BitConverter.ToInt32(bson, pos);
            sizes.Add(size);
            pos += size;
        }
        return sizes;
    }
}
