using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// The seed workload's 15 tables computed straight from the documents with MongoDB.Bson, following
/// shared/SEED_WORKLOAD.md and nothing of EtlFast: user ids as they are, child ids
/// user_id * 10000 + position counted across the whole document path (attachments across all of the
/// user's messages, in document order), datetimes to the millisecond in UTC, sub-documents and
/// arrays as JSON.
/// </summary>
internal static class SeedOracle
{
    private const string BigInt = "bigint", Text = "text", Int = "integer", Ts = "timestamp with time zone", Jsonb = "jsonb", Bool = "boolean";

    /// <summary>The 15 table names in mapping order.</summary>
    public static readonly string[] TableNames =
    [
        "users", "addresses", "profiles", "education", "experience", "preferences", "settings", "activity_log",
        "transactions", "messages", "attachments", "social_media", "posts", "groups", "large_data",
    ];

    /// <summary>Every primary and foreign key the seed layout must have, as <see cref="PgConstraints.Keys"/> spells them.</summary>
    public static readonly string[] Keys = [.. new[]
    {
        "PK users(id)", "PK addresses(id)", "PK profiles(id)", "PK education(id)", "PK experience(id)", "PK preferences(id)",
        "PK settings(id)", "PK activity_log(id)", "PK transactions(id)", "PK messages(id)", "PK attachments(id)",
        "PK social_media(id)", "PK posts(id)", "PK groups(id)", "PK large_data(id)",
        "FK addresses(user_id) -> users(id)", "FK profiles(user_id) -> users(id)", "FK education(profile_id) -> profiles(id)",
        "FK experience(profile_id) -> profiles(id)", "FK preferences(user_id) -> users(id)",
        "FK settings(preference_id) -> preferences(id)", "FK activity_log(user_id) -> users(id)",
        "FK transactions(user_id) -> users(id)", "FK messages(user_id) -> users(id)",
        "FK attachments(message_id) -> messages(id)", "FK social_media(user_id) -> users(id)",
        "FK posts(social_media_id) -> social_media(id)", "FK groups(social_media_id) -> social_media(id)",
        "FK large_data(user_id) -> users(id)",
    }.Order(StringComparer.Ordinal)];

    public static DateTime Utc(BsonValue v) => DateTime.UnixEpoch.AddMilliseconds(v.AsBsonDateTime.MillisecondsSinceEpoch);

    public static List<ExpectedTable> Compute(IEnumerable<BsonDocument> users)
    {
        var t = new Dictionary<string, ExpectedTable>
        {
            ["users"] = new ExpectedTable("users", "id").Column("id", BigInt).Column("username", Text).Column("email", Text)
                .Column("first_name", Text).Column("last_name", Text).Column("age", Int).Column("created_at", Ts).Column("updated_at", Ts),
            ["addresses"] = new ExpectedTable("addresses", "id").Column("id", BigInt).Column("user_id", BigInt).Column("street", Text)
                .Column("city", Text).Column("state", Text).Column("zip_code", Text).Column("country", Text).Column("coordinates", Jsonb),
            ["profiles"] = new ExpectedTable("profiles", "id").Column("id", BigInt).Column("user_id", BigInt).Column("bio", Text)
                .Column("interests", Jsonb).Column("skills", Jsonb),
            ["education"] = new ExpectedTable("education", "id").Column("id", BigInt).Column("profile_id", BigInt)
                .Column("institution", Text).Column("degree", Text).Column("year", Int).Column("description", Text),
            ["experience"] = new ExpectedTable("experience", "id").Column("id", BigInt).Column("profile_id", BigInt)
                .Column("company", Text).Column("position", Text).Column("duration", Text).Column("description", Text),
            ["preferences"] = new ExpectedTable("preferences", "id").Column("id", BigInt).Column("user_id", BigInt)
                .Column("language", Text).Column("timezone", Text).Column("notifications", Jsonb),
            ["settings"] = Entries("settings", "preference_id"),
            ["activity_log"] = Entries("activity_log", "user_id"),
            ["transactions"] = Entries("transactions", "user_id"),
            ["messages"] = new ExpectedTable("messages", "id").Column("id", Text).Column("user_id", BigInt).Column("from", Text)
                .Column("to", Text).Column("subject", Text).Column("body", Text).Column("timestamp", Ts).Column("read", Bool),
            ["attachments"] = new ExpectedTable("attachments", "id").Column("id", BigInt).Column("message_id", Text)
                .Column("name", Text).Column("size", Int).Column("file_type", Text),
            ["social_media"] = new ExpectedTable("social_media", "id").Column("id", BigInt).Column("user_id", BigInt).Column("connections", Jsonb),
            ["posts"] = Entries("posts", "social_media_id"),
            ["groups"] = new ExpectedTable("groups", "id").Column("id", Text).Column("social_media_id", BigInt)
                .Column("name", Text).Column("joined", Ts),
            ["large_data"] = new ExpectedTable("large_data", "id").Column("id", BigInt).Column("user_id", BigInt)
                .Column("blob1", Text).Column("blob2", Text).Column("blob3", Text).Column("blob4", Text).Column("blob5", Text),
        };

        foreach (BsonDocument u in users)
        {
            long id = u["_id"].AsInt32;
            t["users"].Add(id, u["username"].AsString, u["email"].AsString, u["firstName"].AsString, u["lastName"].AsString,
                u["age"].AsInt32, Utc(u["createdAt"]), Utc(u["updatedAt"]));

            BsonDocument a = u["address"].AsBsonDocument;
            t["addresses"].Add(id, id, a["street"].AsString, a["city"].AsString, a["state"].AsString, a["zipCode"].AsString,
                a["country"].AsString, Json.FromBson(a["coordinates"]));

            BsonDocument p = u["profile"].AsBsonDocument;
            t["profiles"].Add(id, id, p["bio"].AsString, Json.FromBson(p["interests"]), Json.FromBson(p["skills"]));
            int n = 0;
            foreach (BsonDocument e in p["education"].AsBsonArray.Cast<BsonDocument>())
            {
                t["education"].Add(id * 10000 + n++, id, e["institution"].AsString, e["degree"].AsString, e["year"].AsInt32, e["description"].AsString);
            }
            n = 0;
            foreach (BsonDocument e in p["experience"].AsBsonArray.Cast<BsonDocument>())
            {
                t["experience"].Add(id * 10000 + n++, id, e["company"].AsString, e["position"].AsString, e["duration"].AsString, e["description"].AsString);
            }

            BsonDocument pr = u["preferences"].AsBsonDocument;
            t["preferences"].Add(id, id, pr["language"].AsString, pr["timezone"].AsString, Json.FromBson(pr["notifications"]));
            AddEntries(t["settings"], id, pr["settings"].AsBsonArray);
            AddEntries(t["activity_log"], id, u["activityLog"].AsBsonArray);
            AddEntries(t["transactions"], id, u["transactions"].AsBsonArray);

            int attachment = 0; // counted across all of this user's messages
            foreach (BsonDocument m in u["messages"].AsBsonArray.Cast<BsonDocument>())
            {
                string mid = m["id"].AsString;
                t["messages"].Add(mid, id, m["from"].AsString, m["to"].AsString, m["subject"].AsString, m["body"].AsString,
                    Utc(m["timestamp"]), m["read"].AsBoolean);
                foreach (BsonDocument at in m["attachments"].AsBsonArray.Cast<BsonDocument>())
                {
                    t["attachments"].Add(id * 10000 + attachment++, mid, at["name"].AsString, at["size"].AsInt32, at["fileType"].AsString);
                }
            }

            BsonDocument s = u["socialMedia"].AsBsonDocument;
            t["social_media"].Add(id, id, Json.FromBson(s["connections"]));
            AddEntries(t["posts"], id, s["posts"].AsBsonArray);
            foreach (BsonDocument g in s["groups"].AsBsonArray.Cast<BsonDocument>())
            {
                t["groups"].Add(g["id"].AsString, id, g["name"].AsString, Utc(g["joined"]));
            }

            BsonDocument l = u["largeData"].AsBsonDocument;
            t["large_data"].Add(id, id, l["blob1"].AsString, l["blob2"].AsString, l["blob3"].AsString, l["blob4"].AsString, l["blob5"].AsString);
        }
        return [.. TableNames.Select(name => t[name])];
    }

    private static ExpectedTable Entries(string name, string parent) => new ExpectedTable(name, "id")
        .Column("id", BigInt).Column(parent, BigInt).Column("key", Text).Column("value", Text).Column("timestamp", Ts).Column("metadata", Text);

    private static void AddEntries(ExpectedTable table, long id, BsonArray entries)
    {
        int n = 0;
        foreach (BsonDocument e in entries.Cast<BsonDocument>())
        {
            table.Add(id * 10000 + n++, id, e["key"].AsString, e["value"].AsString, Utc(e["timestamp"]), e["metadata"].AsString);
        }
    }
}
