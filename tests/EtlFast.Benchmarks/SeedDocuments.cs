using System.Globalization;
using MongoDB.Bson;

namespace EtlFast.Benchmarks;

/// <summary>
/// Seed-shaped user documents (see SEED_WORKLOAD.md: sample_db.users, about 5.2 KB of BSON each),
/// built with MongoDB.Bson from a fixed seed so every run walks the same bytes. Field names, types,
/// array lengths and string sizes follow the published generator; the text is random ASCII letters.
/// Independent of the engine's own generator on purpose: the benchmark must not move when it does.
/// </summary>
public static class SeedDocuments
{
    private static readonly DateTime Now = new(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The encoded documents for users 1..count.</summary>
    public static byte[][] Build(int count, int seed = 20240601)
    {
        var rng = new Random(seed);
        var docs = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            docs[i] = User(i + 1, rng).ToBson();
        }
        return docs;
    }

    /// <summary>One user document.</summary>
    public static BsonDocument User(int id, Random rng)
    {
        string first = Name(rng), last = Name(rng);
        DateTime created = Now.AddMinutes(-rng.Next(0, 5 * 365 * 24 * 60));
        return new BsonDocument
        {
            { "_id", id },
            { "username", $"{first.ToLowerInvariant()}_{last.ToLowerInvariant()}_{id}" },
            { "email", $"{first.ToLowerInvariant()}.{last.ToLowerInvariant()}{id}@example.com" },
            { "firstName", first },
            { "lastName", last },
            { "age", rng.Next(18, 81) },
            { "createdAt", created },
            { "updatedAt", created.AddMinutes(rng.Next(0, 60 * 24 * 90)) },
            { "address", new BsonDocument
                {
                    { "street", $"{rng.Next(1, 9999)} {Words(rng, 2)} St" },
                    { "city", Word(rng, 5, 12) },
                    { "state", Word(rng, 2, 2).ToUpperInvariant() },
                    { "zipCode", rng.Next(10000, 99999).ToString(CultureInfo.InvariantCulture) },
                    { "country", Word(rng, 4, 10) },
                    { "coordinates", new BsonDocument { { "lat", rng.NextDouble() * 180 - 90 }, { "lng", rng.NextDouble() * 360 - 180 } } },
                }
            },
            { "profile", new BsonDocument
                {
                    { "bio", Text(rng, 100) },
                    { "interests", Strings(rng, rng.Next(2, 6)) },
                    { "skills", Strings(rng, rng.Next(2, 7)) },
                    { "education", Array(rng.Next(1, 4), _ => new BsonDocument
                        {
                            { "institution", Words(rng, 3) },
                            { "degree", Words(rng, 2) },
                            { "year", rng.Next(1980, 2025) },
                            { "description", Text(rng, 50) },
                        })
                    },
                    { "experience", Array(rng.Next(1, 5), _ => new BsonDocument
                        {
                            { "company", Words(rng, 2) },
                            { "position", Words(rng, 2) },
                            { "duration", $"{rng.Next(1, 15)} years" },
                            { "description", Text(rng, 50) },
                        })
                    },
                }
            },
            { "preferences", new BsonDocument
                {
                    { "language", Word(rng, 2, 2) },
                    { "timezone", $"UTC{rng.Next(-12, 13):+0;-0}" },
                    { "notifications", new BsonDocument { { "email", rng.Next(2) == 1 }, { "push", rng.Next(2) == 1 }, { "sms", rng.Next(2) == 1 } } },
                    { "settings", Array(rng.Next(1, 6), _ => Entry(rng)) },
                }
            },
            { "activityLog", Array(rng.Next(5, 21), _ => Entry(rng)) },
            { "transactions", Array(rng.Next(0, 11), _ => Entry(rng)) },
            { "messages", Array(rng.Next(0, 6), i => new BsonDocument
                {
                    { "id", $"msg{id}_{i}" },
                    { "from", Word(rng, 5, 10) + "@example.com" },
                    { "to", Word(rng, 5, 10) + "@example.com" },
                    { "subject", Words(rng, 3) },
                    { "body", Text(rng, 100) },
                    { "timestamp", Date(rng) },
                    { "read", rng.Next(2) == 1 },
                    { "attachments", new BsonArray() },
                })
            },
            { "socialMedia", new BsonDocument
                {
                    { "connections", Strings(rng, rng.Next(0, 21)) },
                    { "posts", Array(rng.Next(0, 11), _ => Entry(rng)) },
                    { "groups", Array(rng.Next(0, 4), i => new BsonDocument
                        {
                            { "id", $"group{id}_{i}" },
                            { "name", Words(rng, 2) },
                            { "joined", Date(rng) },
                        })
                    },
                }
            },
            { "largeData", new BsonDocument
                {
                    { "blob1", Text(rng, 100) }, { "blob2", Text(rng, 100) }, { "blob3", Text(rng, 100) },
                    { "blob4", Text(rng, 100) }, { "blob5", Text(rng, 100) },
                }
            },
        };
    }

    // {key, value, timestamp, metadata}: the shape of settings, activityLog, transactions and posts.
    private static BsonDocument Entry(Random rng) => new()
    {
        { "key", Word(rng, 3, 8) },
        { "value", Word(rng, 4, 12) },
        { "timestamp", Date(rng) },
        { "metadata", $"{{\"n\":{rng.Next(1000)},\"v\":{rng.Next(10)}}}" },
    };

    private static BsonArray Array(int count, Func<int, BsonValue> item)
    {
        var array = new BsonArray(count);
        for (int i = 0; i < count; i++)
        {
            array.Add(item(i));
        }
        return array;
    }

    private static BsonArray Strings(Random rng, int count) => Array(count, _ => Word(rng, 3, 10));

    private static BsonDateTime Date(Random rng) => new(Now.AddSeconds(-rng.Next(0, 5 * 365 * 24 * 3600)));

    private static string Name(Random rng)
    {
        string w = Word(rng, 3, 9);
        return char.ToUpperInvariant(w[0]) + w[1..];
    }

    private static string Words(Random rng, int count)
    {
        var words = new string[count];
        for (int i = 0; i < count; i++)
        {
            words[i] = Word(rng, 3, 9);
        }
        return string.Join(' ', words);
    }

    private static string Word(Random rng, int min, int max)
    {
        var chars = new char[rng.Next(min, max + 1)];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)('a' + rng.Next(26));
        }
        return new string(chars);
    }

    private static string Text(Random rng, int length)
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = rng.Next(7) == 0 ? ' ' : (char)('a' + rng.Next(26));
        }
        return new string(chars);
    }
}
