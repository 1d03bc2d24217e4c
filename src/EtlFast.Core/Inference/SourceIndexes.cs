using System.Text.Json;

namespace EtlFast.Core.Inference;

/// <summary>An index of the MongoDB collection, as mongodump's metadata or listIndexes describes it.</summary>
/// <param name="Fields">The key's fields in key order.</param>
/// <param name="Special">Why PostgreSQL gets no plain btree index of it (a text, 2dsphere, hashed or partial index), or null.</param>
public sealed record SourceIndex(string Name, IReadOnlyList<string> Fields, bool Unique, string? Special);

/// <summary>
/// Reads a collection's indexes from mongodump's metadata (the "indexes" array of metadata.json, or of an
/// archive's prelude, in Extended JSON), and turns them into index proposals of an inferred mapping:
/// an index whose fields are all columns of the collection's main table is proposed as it is (a unique
/// one as a unique index); any other is named in a comment with the reason.
/// </summary>
public static class SourceIndexes
{
    /// <summary>The indexes a metadata.json text lists, but the one on _id (the primary key); none when it lists none or cannot be read.</summary>
    public static IReadOnlyList<SourceIndex> FromMetadata(string? metadataJson)
    {
        if (string.IsNullOrEmpty(metadataJson))
        {
            return [];
        }
        try
        {
            using var json = JsonDocument.Parse(metadataJson);
            if (json.RootElement.ValueKind != JsonValueKind.Object
                || !json.RootElement.TryGetProperty("indexes", out JsonElement indexes) || indexes.ValueKind != JsonValueKind.Array)
            {
                return [];
            }
            var found = new List<SourceIndex>();
            foreach (JsonElement index in indexes.EnumerateArray())
            {
                if (index.ValueKind == JsonValueKind.Object && index.TryGetProperty("key", out JsonElement key) && key.ValueKind == JsonValueKind.Object)
                {
                    var fields = new List<(string Field, string? Kind)>();
                    foreach (JsonProperty k in key.EnumerateObject())
                    {
                        fields.Add((k.Name, k.Value.ValueKind == JsonValueKind.String ? k.Value.GetString() : null));
                    }
                    string? name = index.TryGetProperty("name", out JsonElement n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                    bool unique = index.TryGetProperty("unique", out JsonElement u) && u.ValueKind == JsonValueKind.True;
                    bool partial = index.TryGetProperty("partialFilterExpression", out _);
                    if (Of(name, fields, unique, partial) is { } i)
                    {
                        found.Add(i);
                    }
                }
            }
            return found;
        }
        catch (JsonException)
        {
            return []; // metadata the dump tools wrote badly tells nothing about indexes; the data is still read
        }
    }

    /// <summary>One index from its key's fields (a string value is a special kind: "text", "2dsphere", "hashed"); null for the _id index.</summary>
    /// <param name="name">Its name; without one, its fields joined as MongoDB names an index.</param>
    public static SourceIndex? Of(string? name, IReadOnlyList<(string Field, string? Kind)> key, bool unique, bool partial)
    {
        if (key.Count == 0 || (key.Count == 1 && key[0].Field == "_id"))
        {
            return null;
        }
        string? special = key.FirstOrDefault(k => k.Kind is not null).Kind is { } kind ? $"a {kind} index"
            : partial ? "a partial index (partialFilterExpression)"
            : null;
        return new SourceIndex(name ?? string.Join("_", key.Select(k => k.Field)), [.. key.Select(k => k.Field)], unique, special);
    }

    /// <summary>Adds to the main table of <paramref name="layout"/> the indexes PostgreSQL can have as they are, and a note for each other one.</summary>
    public static void Propose(InferredLayout layout, IReadOnlyList<SourceIndex> indexes)
    {
        InferredTable? root = layout.Tables.FirstOrDefault(t => t.Path is null);
        if (root is null)
        {
            return;
        }
        foreach (SourceIndex index in indexes)
        {
            string fields = string.Join(", ", index.Fields);
            string what = $"MongoDB {(index.Unique ? "unique " : "")}index {index.Name} on ({fields})";
            if (index.Special is { } special)
            {
                root.Notes.Add($"{what}: not proposed, {special}");
                continue;
            }
            var columns = index.Fields.Select(f => root.Columns.FirstOrDefault(c => c.From == f)?.Name).ToList();
            if (columns.Any(c => c is null))
            {
                root.Notes.Add($"{what}: not proposed, {string.Join(", ", index.Fields.Where((_, i) => columns[i] is null))} is not a column of {root.Name}");
                continue;
            }
            root.Indexes.Add(new InferredIndex([.. columns!], index.Unique));
            root.Notes.Add($"{what}: proposed below{(index.Unique ? " as a unique index" : "")}");
        }
    }
}
