using System.Text.Json;
using EtlFast.Core.Generation;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.Generation;

/// <summary>The generated users have the published shape (shared/SEED_WORKLOAD.md), decoded by the MongoDB driver.</summary>
public sealed class SeedUsersGeneratorTests
{
    private static readonly DateTime Reference = SeedUsersGenerator.ReferenceTime.UtcDateTime;
    private static readonly DateTime FiveYearsBefore = Reference.AddDays(-5 * 365);

    [Fact]
    public void Every_document_has_the_published_shape()
    {
        List<BsonDocument> users = GeneratedBson.Decode(GeneratedBson.Users(600));
        Assert.Equal(600, users.Count);
        for (int i = 0; i < users.Count; i++)
        {
            AssertUser(users[i], i + 1);
        }
    }

    [Fact]
    public void Same_seed_gives_the_same_bytes_and_another_seed_does_not()
    {
        byte[] a = GeneratedBson.Users(300, seed: 7);
        byte[] b = GeneratedBson.Users(300, seed: 7);
        byte[] c = GeneratedBson.Users(300, seed: 8);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        List<BsonDocument> other = GeneratedBson.Decode(c);
        Assert.Equal(300, other.Count);
        int differing = 0;
        List<BsonDocument> first = GeneratedBson.Decode(a);
        for (int i = 0; i < 300; i++)
        {
            differing += first[i]["largeData"]["blob1"] == other[i]["largeData"]["blob1"] ? 0 : 1;
        }
        Assert.Equal(300, differing);
    }

    [Fact]
    public void A_document_depends_only_on_seed_and_id()
    {
        byte[] stream = GeneratedBson.Users(40, seed: 3);
        List<int> sizes = GeneratedBson.Sizes(stream);
        int offset = sizes.Take(29).Sum();
        Assert.Equal(GeneratedBson.User(30, seed: 3), stream[offset..(offset + sizes[29])]);
    }

    [Fact]
    public void Output_spans_many_chunks_without_loss()
    {
        // More than one 1 MiB chunk, so the double-buffered hand-off to the output is exercised.
        int count = 1000;
        byte[] stream = GeneratedBson.Users(count, seed: 11);
        Assert.True(stream.Length > 3 * SeedUsersGenerator.ChunkBytes);
        List<int> sizes = GeneratedBson.Sizes(stream);
        Assert.Equal(count, sizes.Count);
        List<BsonDocument> users = GeneratedBson.Decode(stream);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(i + 1, users[i]["_id"].AsInt32);
        }
        Assert.Equal(GeneratedBson.User(777, seed: 11), stream[sizes.Take(776).Sum()..sizes.Take(777).Sum()]);
    }

    [Fact]
    public void Sizes_and_rows_per_user_average_to_the_seed_workload()
    {
        const int count = 2000;
        byte[] stream = GeneratedBson.Users(count);
        List<BsonDocument> users = GeneratedBson.Decode(stream);
        double Avg(Func<BsonDocument, int> f) => users.Average(f);

        // The published 5.24 "GB" is collStats size / 1024^3 for 1M users: 5.63e9 bytes, ~5,630 bytes each,
        // plus ~50 bytes of attachments here.
        double averageSize = stream.Length / (double)count;
        Assert.InRange(averageSize, 5_450, 5_900);

        double education = Avg(u => u["profile"]["education"].AsBsonArray.Count);
        double experience = Avg(u => u["profile"]["experience"].AsBsonArray.Count);
        double settings = Avg(u => u["preferences"]["settings"].AsBsonArray.Count);
        double activity = Avg(u => u["activityLog"].AsBsonArray.Count);
        double transactions = Avg(u => u["transactions"].AsBsonArray.Count);
        double messages = Avg(u => u["messages"].AsBsonArray.Count);
        double attachments = Avg(u => u["messages"].AsBsonArray.Sum(m => m["attachments"].AsBsonArray.Count));
        double posts = Avg(u => u["socialMedia"]["posts"].AsBsonArray.Count);
        double groups = Avg(u => u["socialMedia"]["groups"].AsBsonArray.Count);
        Assert.InRange(education, 1.9, 2.1);
        Assert.InRange(experience, 2.35, 2.65);
        Assert.InRange(settings, 2.85, 3.15);
        Assert.InRange(activity, 12.2, 12.8);
        Assert.InRange(transactions, 4.8, 5.2);
        Assert.InRange(messages, 2.4, 2.6);
        Assert.InRange(attachments, 1.3, 1.7);   // ~30% of messages x 2 on average
        Assert.InRange(posts, 4.8, 5.2);
        Assert.InRange(groups, 1.4, 1.6);

        double rows = 6 + education + experience + settings + activity + transactions + messages + attachments + posts + groups;
        Assert.InRange(rows, 41.0, 42.0);
    }

    [Fact]
    public void Zero_users_make_an_empty_stream()
    {
        Assert.Empty(GeneratedBson.Users(0));
    }

    private static void AssertUser(BsonDocument u, int id)
    {
        AssertFields(u,
            ("_id", BsonType.Int32), ("username", BsonType.String), ("email", BsonType.String), ("firstName", BsonType.String),
            ("lastName", BsonType.String), ("age", BsonType.Int32), ("createdAt", BsonType.DateTime), ("updatedAt", BsonType.DateTime),
            ("address", BsonType.Document), ("profile", BsonType.Document), ("preferences", BsonType.Document),
            ("activityLog", BsonType.Array), ("transactions", BsonType.Array), ("messages", BsonType.Array),
            ("socialMedia", BsonType.Document), ("largeData", BsonType.Document));
        Assert.Equal(id, u["_id"].AsInt32);
        string username = u["username"].AsString;
        Assert.Equal($"{u["firstName"].AsString.ToLowerInvariant()}_{u["lastName"].AsString.ToLowerInvariant()}_{id}", username);
        Assert.Equal($"{username}@example.com", u["email"].AsString);
        Assert.InRange(u["age"].AsInt32, 18, 80);
        DateTime createdAt = AssertRecent(u["createdAt"]);
        Assert.InRange(AssertRecent(u["updatedAt"]), createdAt, Reference);

        BsonDocument address = u["address"].AsBsonDocument;
        AssertFields(address, ("street", BsonType.String), ("city", BsonType.String), ("state", BsonType.String),
            ("zipCode", BsonType.String), ("country", BsonType.String), ("coordinates", BsonType.Document));
        Assert.Matches("^[0-9]{5}$", address["zipCode"].AsString);
        AssertFields(address["coordinates"].AsBsonDocument, ("lat", BsonType.Double), ("lng", BsonType.Double));
        Assert.InRange(address["coordinates"]["lat"].AsDouble, 25.0, 48.0);
        Assert.InRange(address["coordinates"]["lng"].AsDouble, -125.0, -65.0);

        BsonDocument profile = u["profile"].AsBsonDocument;
        AssertFields(profile, ("bio", BsonType.String), ("interests", BsonType.Array), ("skills", BsonType.Array),
            ("education", BsonType.Array), ("experience", BsonType.Array));
        AssertDistinctStrings(profile["interests"].AsBsonArray, 2, 5);
        AssertDistinctStrings(profile["skills"].AsBsonArray, 2, 6);
        BsonArray education = AssertCount(profile["education"], 1, 3);
        foreach (BsonValue e in education)
        {
            AssertFields(e.AsBsonDocument, ("institution", BsonType.String), ("degree", BsonType.String), ("year", BsonType.Int32), ("description", BsonType.String));
            Assert.InRange(e["year"].AsInt32, 1990, 2023);
            AssertLetters(e["description"], 50);
        }
        foreach (BsonValue e in AssertCount(profile["experience"], 1, 4))
        {
            AssertFields(e.AsBsonDocument, ("company", BsonType.String), ("position", BsonType.String), ("duration", BsonType.String), ("description", BsonType.String));
            AssertLetters(e["description"], 50);
        }

        BsonDocument preferences = u["preferences"].AsBsonDocument;
        AssertFields(preferences, ("language", BsonType.String), ("timezone", BsonType.String), ("notifications", BsonType.Document), ("settings", BsonType.Array));
        AssertFields(preferences["notifications"].AsBsonDocument, ("email", BsonType.Boolean), ("push", BsonType.Boolean), ("sms", BsonType.Boolean));
        BsonArray settings = AssertCount(preferences["settings"], 1, 5);
        for (int i = 0; i < settings.Count; i++)
        {
            AssertEntry(settings[i]);
            Assert.Equal($"setting_{i}", settings[i]["key"].AsString);
        }
        foreach (BsonValue e in AssertCount(u["activityLog"], 5, 20))
        {
            AssertEntry(e);
        }
        foreach (BsonValue e in AssertCount(u["transactions"], 0, 10))
        {
            AssertEntry(e);
        }

        BsonArray messages = AssertCount(u["messages"], 0, 5);
        for (int i = 0; i < messages.Count; i++)
        {
            BsonDocument m = messages[i].AsBsonDocument;
            AssertFields(m, ("id", BsonType.String), ("from", BsonType.String), ("to", BsonType.String), ("subject", BsonType.String),
                ("body", BsonType.String), ("timestamp", BsonType.DateTime), ("read", BsonType.Boolean), ("attachments", BsonType.Array));
            Assert.Equal($"msg{id}_{i}", m["id"].AsString);
            Assert.Matches("^[a-z]{8}@example\\.com$", m["from"].AsString);
            Assert.Equal(u["email"].AsString, m["to"].AsString);
            AssertLetters(m["body"], 100);
            AssertRecent(m["timestamp"]);
            foreach (BsonValue a in AssertCount(m["attachments"], 0, 3))
            {
                AssertFields(a.AsBsonDocument, ("name", BsonType.String), ("size", BsonType.Int32), ("fileType", BsonType.String));
                Assert.Matches("^[a-z]{8}\\.[a-z]{3}$", a["name"].AsString);
                Assert.True(a["size"].AsInt32 > 0);
            }
        }

        BsonDocument social = u["socialMedia"].AsBsonDocument;
        AssertFields(social, ("connections", BsonType.Array), ("posts", BsonType.Array), ("groups", BsonType.Array));
        foreach (BsonValue c in AssertCount(social["connections"], 0, 20))
        {
            Assert.Matches("^user[0-9]+$", c.AsString);
        }
        BsonArray posts = AssertCount(social["posts"], 0, 10);
        for (int i = 0; i < posts.Count; i++)
        {
            AssertEntry(posts[i]);
            Assert.Equal($"post{i}", posts[i]["key"].AsString);
            AssertLetters(posts[i]["value"], 50);
        }
        BsonArray groups = AssertCount(social["groups"], 0, 3);
        for (int i = 0; i < groups.Count; i++)
        {
            AssertFields(groups[i].AsBsonDocument, ("id", BsonType.String), ("name", BsonType.String), ("joined", BsonType.DateTime));
            Assert.Equal($"group{id}_{i}", groups[i]["id"].AsString);
            AssertRecent(groups[i]["joined"]);
        }

        BsonDocument large = u["largeData"].AsBsonDocument;
        AssertFields(large, ("blob1", BsonType.String), ("blob2", BsonType.String), ("blob3", BsonType.String), ("blob4", BsonType.String), ("blob5", BsonType.String));
        foreach (BsonElement blob in large)
        {
            AssertLetters(blob.Value, 100);
        }
    }

    /// <summary>A {key, value, timestamp, metadata} entry whose metadata is a JSON text.</summary>
    private static void AssertEntry(BsonValue value)
    {
        BsonDocument e = value.AsBsonDocument;
        AssertFields(e, ("key", BsonType.String), ("value", BsonType.String), ("timestamp", BsonType.DateTime), ("metadata", BsonType.String));
        AssertRecent(e["timestamp"]);
        using JsonDocument json = JsonDocument.Parse(e["metadata"].AsString);
        Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
    }

    private static void AssertFields(BsonDocument document, params (string Name, BsonType Type)[] fields)
    {
        Assert.Equal(fields.Select(f => f.Name), document.Names);
        foreach ((string name, BsonType type) in fields)
        {
            Assert.True(document[name].BsonType == type, $"{name} is {document[name].BsonType}, expected {type}");
            if (type == BsonType.String)
            {
                Assert.Matches("^[\\x20-\\x7e]+$", document[name].AsString);
            }
        }
    }

    private static BsonArray AssertCount(BsonValue value, int min, int max)
    {
        BsonArray array = value.AsBsonArray;
        Assert.InRange(array.Count, min, max);
        return array;
    }

    private static void AssertDistinctStrings(BsonValue value, int min, int max)
    {
        BsonArray array = AssertCount(value, min, max);
        Assert.Equal(array.Count, array.Select(v => v.AsString).Distinct().Count());
    }

    private static void AssertLetters(BsonValue value, int length) => Assert.Matches($"^[a-zA-Z]{{{length}}}$", value.AsString);

    private static DateTime AssertRecent(BsonValue value)
    {
        DateTime t = value.ToUniversalTime();
        Assert.InRange(t, FiveYearsBefore, Reference.AddMilliseconds(-1));
        return t;
    }
}
