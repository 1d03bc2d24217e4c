using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using EtlFast.Bson;

namespace EtlFast.Core.Sources.Archive;

/// <summary>Reads an archive's start: the magic number, the header document and the namespaces the prelude lists.</summary>
internal static class ArchivePrelude
{
    /// <summary>Prelude documents carry each collection's metadata (indexes, options) as Extended JSON: generous, but bounded.</summary>
    public const int MaxPreludeDocument = BsonReader.DefaultMaxDocumentSize;

    public static List<ArchiveNamespace> Read(ArchiveInput input)
    {
        Span<byte> prefix = stackalloc byte[4];
        if (input.ReadFull(prefix) < 4 || BinaryPrimitives.ReadUInt32LittleEndian(prefix) != ArchiveFormat.MagicNumber)
        {
            throw input.Damaged(0, null, "it does not start with the archive magic number 0x8199e26d");
        }
        long at = input.Position;
        input.ReadSmallDocument(NextPrefix(input, prefix, "the header document"), at, null, "the header document", MaxPreludeDocument);

        var namespaces = new List<ArchiveNamespace>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            at = input.Position;
            uint length = NextPrefix(input, prefix, "the prelude");
            if (length == ArchiveFormat.Terminator)
            {
                return namespaces;
            }
            byte[] doc = input.ReadSmallDocument(length, at, null, "a prelude document", MaxPreludeDocument);
            ArchiveNamespace ns = Parse(doc, at, input);
            if (!seen.Add(ns.Name))
            {
                throw input.Damaged(at, ns.Name, "the prelude lists this namespace twice");
            }
            namespaces.Add(ns);
        }
    }

    private static uint NextPrefix(ArchiveInput input, Span<byte> prefix, string what)
    {
        long at = input.Position;
        int got = input.ReadFull(prefix);
        if (got < 4)
        {
            throw input.Damaged(at + got, null, $"the archive ends inside {what}: it is truncated");
        }
        return BinaryPrimitives.ReadUInt32LittleEndian(prefix);
    }

    /// <summary>A prelude document: {db, collection, metadata (Extended JSON), size, type}; older archives have no type.</summary>
    private static ArchiveNamespace Parse(byte[] doc, long at, ArchiveInput input)
    {
        string? db = null, collection = null, metadata = null, type = null;
        try
        {
            var reader = BsonReader.Create(doc, at);
            while (reader.Read())
            {
                if (reader.Type != BsonType.String)
                {
                    continue;
                }
                string value = Encoding.UTF8.GetString(reader.GetStringUtf8());
                switch (Encoding.UTF8.GetString(reader.Name))
                {
                    case "db": db = value; break;
                    case "collection": collection = value; break;
                    case "metadata": metadata = value; break;
                    case "type": type = value; break;
                }
            }
        }
        catch (BsonException e)
        {
            throw input.Damaged(e.Offset, null, $"a prelude document is not valid BSON: {e.Message}");
        }
        if (db is null || string.IsNullOrEmpty(collection))
        {
            throw input.Damaged(at, null, "a prelude document lacks its \"db\" or \"collection\" string");
        }
        (string? metaType, string? viewOn, bool timeseries) = ReadMetadata(metadata);
        type = string.IsNullOrEmpty(type) ? metaType : type;
        ArchiveNamespaceKind kind = type == "view" || viewOn is not null ? ArchiveNamespaceKind.View
            : type == "timeseries" || timeseries ? ArchiveNamespaceKind.TimeSeries
            : collection.StartsWith("system.", StringComparison.Ordinal) ? ArchiveNamespaceKind.System
            : ArchiveNamespaceKind.Collection;
        return new ArchiveNamespace(db, collection, kind, viewOn, metadata);
    }

    /// <summary>The metadata.json text: its "type", options.viewOn, and whether options.timeseries is set. Unreadable metadata tells nothing.</summary>
    private static (string? Type, string? ViewOn, bool TimeSeries) ReadMetadata(string? metadata)
    {
        if (string.IsNullOrEmpty(metadata))
        {
            return (null, null, false);
        }
        try
        {
            using var json = JsonDocument.Parse(metadata);
            JsonElement root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null, false);
            }
            string? type = root.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            string? viewOn = null;
            bool timeseries = false;
            if (root.TryGetProperty("options", out JsonElement options) && options.ValueKind == JsonValueKind.Object)
            {
                viewOn = options.TryGetProperty("viewOn", out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                timeseries = options.TryGetProperty("timeseries", out JsonElement ts) && ts.ValueKind == JsonValueKind.Object;
            }
            return (type, viewOn, timeseries);
        }
        catch (JsonException)
        {
            return (null, null, false);
        }
    }
}
