using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Tests.Sync;

/// <summary>
/// An application writing to the seed users through the official driver, as a sync must follow: new
/// users, field updates, an attachment added to a message, a message or an activity entry removed, a
/// profile unset, whole-document replaces and deletes, chosen by a seeded random generator. Each step is
/// a real change (one change event); documents it deletes are not touched again.
/// </summary>
internal sealed class SeedWriter(IMongoCollection<BsonDocument> users, IEnumerable<BsonDocument> existing, IReadOnlyList<BsonDocument> fresh, int seed)
{
    private readonly Random _rng = new(seed);
    private readonly List<int> _alive = [.. existing.Select(d => d["_id"].AsInt32)];
    private int _nextFresh;

    /// <summary>Steps made so far.</summary>
    public int Steps { get; private set; }

    /// <summary>The `_id` of the last user inserted (fresh users' ids ascend), or 0.</summary>
    public int LastInserted { get; private set; }

    public void Run(int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            Step();
        }
    }

    public void Step()
    {
        int kind = _rng.Next(9);
        if (kind == 0 && _nextFresh < fresh.Count || _alive.Count < 10)
        {
            BsonDocument user = fresh[_nextFresh++];
            users.InsertOne(user);
            _alive.Add(user["_id"].AsInt32);
            LastInserted = user["_id"].AsInt32;
            Steps++;
            return;
        }
        int id = _alive[_rng.Next(_alive.Count)];
        var byId = new BsonDocument("_id", id);
        BsonDocument current = users.Find(byId).Single();
        BsonArray messages = current.GetValue("messages", new BsonArray()).AsBsonArray;
        BsonArray activity = current.GetValue("activityLog", new BsonArray()).AsBsonArray;
        BsonDocument update;
        switch (kind)
        {
            case 1 when messages.Count > 0:
                update = new BsonDocument("$push", new BsonDocument("messages.0.attachments",
                    new BsonDocument { { "name", $"added{Steps}.pdf" }, { "size", _rng.Next(1, 1 << 20) }, { "fileType", "pdf" } }));
                break;
            case 2 when messages.Count > 0:
                update = new BsonDocument("$pull", new BsonDocument("messages", new BsonDocument("id", messages[^1]["id"])));
                break;
            case 3 when activity.Count > 0:
                update = new BsonDocument("$pop", new BsonDocument("activityLog", -1));
                break;
            case 4 when current.Contains("profile"):
                update = new BsonDocument("$unset", new BsonDocument("profile", ""));
                break;
            case 5:
                current["email"] = $"replaced{Steps}@example.org";
                current.Remove("socialMedia");
                users.ReplaceOne(byId, current);
                Steps++;
                return;
            case 6:
                users.DeleteOne(byId);
                _alive.Remove(id);
                Steps++;
                return;
            default:
                update = new BsonDocument("$set", new BsonDocument
                {
                    { "age", 18 + (Steps % 60) },
                    { "address.city", $"City {Steps}" },
                    { "updatedAt", new BsonDateTime(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(Steps)) },
                });
                break;
        }
        UpdateResult result = users.UpdateOne(byId, update);
        Assert.Equal(1, result.ModifiedCount);
        Steps++;
    }
}
