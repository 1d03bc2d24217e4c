using EtlFast.Core.Sources;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;
using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>
/// A live load's <c>_id</c> ranges, kept in the target (<c>etlfast.ranges</c>) by the process that
/// starts the load, in the transaction that records the run. A resume and every partition read this
/// plan instead of planning again: a plan made later would cut the collection where its documents are
/// then (new maximum, new counts), and its chunk numbers would stand for other documents. With each
/// committed chunk's last <c>_id</c> (<c>etlfast.chunks.last_id</c>) the plan says where every range
/// goes on: after the last <c>_id</c> of its highest committed chunk, which, since a range's chunks
/// commit in order (<see cref="CommitOrder"/>), has every earlier one committed too.
/// </summary>
internal static class RangePlanStore
{
    /// <summary>The statements that add the plan's tables to the checkpoint schema (run by <see cref="Checkpoints.EnsureTables"/>).</summary>
    public const string Ddl = $"""
        CREATE TABLE IF NOT EXISTS {Checkpoints.Schema}.ranges (
          run_id text NOT NULL REFERENCES {Checkpoints.Schema}.runs ON DELETE CASCADE,
          range integer NOT NULL,
          type_group text NOT NULL,
          lower bytea,
          upper bytea,
          PRIMARY KEY (run_id, range));
        ALTER TABLE {Checkpoints.Schema}.runs ADD COLUMN IF NOT EXISTS ranges integer;
        ALTER TABLE {Checkpoints.Schema}.chunks ADD COLUMN IF NOT EXISTS last_id bytea;
        """;

    /// <summary>Stores the plan of run <paramref name="runId"/> (replacing any earlier one).</summary>
    public static void Store(NpgsqlConnection conn, string runId, IReadOnlyList<MongoRange> ranges)
    {
        using (var clear = new NpgsqlCommand($"DELETE FROM {Checkpoints.Schema}.ranges WHERE run_id = $1", conn))
        {
            clear.Parameters.Add(new NpgsqlParameter { Value = runId });
            clear.ExecuteNonQuery();
        }
        using (var insert = new NpgsqlCommand($"INSERT INTO {Checkpoints.Schema}.ranges (run_id, range, type_group, lower, upper) VALUES ($1, $2, $3, $4, $5)", conn))
        {
            var number = new NpgsqlParameter { Value = 0 };
            var group = new NpgsqlParameter { Value = "" };
            var lower = new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea };
            var upper = new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea };
            insert.Parameters.Add(new NpgsqlParameter { Value = runId });
            insert.Parameters.Add(number);
            insert.Parameters.Add(group);
            insert.Parameters.Add(lower);
            insert.Parameters.Add(upper);
            foreach (MongoRange range in ranges)
            {
                number.Value = range.Number;
                group.Value = range.Group.Name;
                lower.Value = Bound(range.From);
                upper.Value = Bound(range.To);
                insert.ExecuteNonQuery();
            }
        }
        using var count = new NpgsqlCommand($"UPDATE {Checkpoints.Schema}.runs SET ranges = $2 WHERE run_id = $1", conn);
        count.Parameters.Add(new NpgsqlParameter { Value = runId });
        count.Parameters.Add(new NpgsqlParameter { Value = ranges.Count });
        count.ExecuteNonQuery();
    }

    /// <summary>
    /// The stored plan of run <paramref name="runId"/> and where each range goes on, or null when the run
    /// has no stored plan (started by an etlfast that did not store one).
    /// </summary>
    public static (List<MongoRange> Ranges, Dictionary<int, RangeStart> Starts)? Load(NpgsqlConnection conn, string runId, string sourceName)
    {
        using (var planned = new NpgsqlCommand($"SELECT ranges FROM {Checkpoints.Schema}.runs WHERE run_id = $1", conn))
        {
            planned.Parameters.Add(new NpgsqlParameter { Value = runId });
            if (planned.ExecuteScalar() is not int)
            {
                return null;
            }
        }
        var ranges = new List<MongoRange>();
        using (var cmd = new NpgsqlCommand($"SELECT range, type_group, lower, upper FROM {Checkpoints.Schema}.ranges WHERE run_id = $1 ORDER BY range", conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
            using NpgsqlDataReader r = cmd.ExecuteReader();
            while (r.Read())
            {
                string name = r.GetString(1);
                MongoTypeGroup group = MongoTypeGroup.All.Append(MongoTypeGroup.Rest).Append(MongoTypeGroup.Whole).FirstOrDefault(g => g.Name == name)
                    ?? throw Damaged(sourceName, $"range {r.GetInt32(0)} names an unknown _id type group \"{name}\"");
                ranges.Add(new MongoRange(r.GetInt32(0), group, Value(r, 2), Value(r, 3)));
            }
        }
        var starts = new Dictionary<int, RangeStart>();
        // The highest committed chunk of each range: its last _id is where the range goes on.
        using (var cmd = new NpgsqlCommand($"""
            SELECT DISTINCT ON (chunk >> {MongoRangeReader.SequenceBits}) chunk, last_id FROM {Checkpoints.Schema}.chunks
            WHERE run_id = $1 ORDER BY chunk >> {MongoRangeReader.SequenceBits}, chunk DESC
            """, conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
            using NpgsqlDataReader r = cmd.ExecuteReader();
            while (r.Read())
            {
                long chunk = r.GetInt64(0);
                if (r.IsDBNull(1))
                {
                    throw Damaged(sourceName, $"committed chunk {chunk} has no last _id");
                }
                starts[(int)(chunk >> MongoRangeReader.SequenceBits)] = new RangeStart((chunk & MongoRangeReader.SequenceMask) + 1, (byte[])r.GetValue(1));
            }
        }
        return (ranges, starts);
    }

    private static LoadException Damaged(string sourceName, string what) => new(FailureKind.Usage,
        $"the stored range plan of the unfinished load of {sourceName} is damaged: {what}",
        hint: "start over with --mode clean");

    /// <summary>A bound as the document <c>{v: value}</c>; DBNull for the group's own end.</summary>
    private static object Bound(BsonValue? value)
    {
        if (value is null)
        {
            return DBNull.Value;
        }
        using var stream = new MemoryStream();
        using (var writer = new BsonBinaryWriter(stream))
        {
            BsonDocumentSerializer.Instance.Serialize(BsonSerializationContext.CreateRoot(writer), new BsonDocument("v", value));
        }
        return stream.ToArray();
    }

    private static BsonValue? Value(NpgsqlDataReader r, int column)
    {
        if (r.IsDBNull(column))
        {
            return null;
        }
        using var stream = new MemoryStream((byte[])r.GetValue(column));
        using var reader = new BsonBinaryReader(stream);
        return BsonDocumentSerializer.Instance.Deserialize(BsonDeserializationContext.CreateRoot(reader))["v"];
    }
}
