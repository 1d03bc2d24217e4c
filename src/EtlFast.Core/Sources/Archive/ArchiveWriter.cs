using System.Buffers.Binary;
using EtlFast.Bson;

namespace EtlFast.Core.Sources.Archive;

/// <summary>
/// Writes the mongodump archive format (what mongodump --archive writes, readable by mongorestore --archive
/// and by <see cref="MongodumpArchive"/>): the prelude listing every namespace up front, then each
/// namespace's documents in blocks of about <c>blockBytes</c>, a new block starting whenever another
/// namespace is written to or the block is full (so namespaces written in turn interleave, as mongodump's
/// parallel dumps do), and an EOF block with the namespace's CRC-64 when it is completed.
/// </summary>
public sealed class ArchiveWriter : IDisposable
{
    private readonly Stream _out;
    private readonly int _blockBytes;
    private readonly ArchiveNamespace[] _namespaces;
    private readonly ArchiveCrc[] _crcs;
    private readonly bool[] _completed;
    private readonly BsonWriter _doc = new();
    private int _current = -1;  // namespace of the open block, -1 when none is open
    private long _blockFilled;

    /// <param name="namespaces">Every namespace the archive will hold, as (database, collection); the prelude lists them in this order.</param>
    /// <param name="blockBytes">Document bytes after which a block is closed and a new one started (mongodump's is 16 MiB).</param>
    public ArchiveWriter(Stream output, IReadOnlyList<(string Db, string Collection)> namespaces, int blockBytes = 16 << 20)
        : this(output, namespaces.Select(n => new ArchiveNamespace(n.Db, n.Collection, ArchiveNamespaceKind.Collection, null)).ToList(), blockBytes)
    {
    }

    /// <param name="namespaces">Every namespace, with its kind: a view or time-series namespace is listed as such in the prelude (a view's blocks hold nothing; a time-series one's go to its buckets collection).</param>
    /// <param name="metadata">Each namespace's metadata JSON as mongodump writes it (options, indexes, type), in the order of <paramref name="namespaces"/>; null for a minimal one.</param>
    public ArchiveWriter(Stream output, IReadOnlyList<ArchiveNamespace> namespaces, int blockBytes = 16 << 20, string toolVersion = "etlfast",
        IReadOnlyList<string>? metadata = null)
    {
        if (metadata is not null && metadata.Count != namespaces.Count)
        {
            throw new ArgumentException($"{metadata.Count} metadata documents for {namespaces.Count} namespaces", nameof(metadata));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(blockBytes, 1);
        _out = output;
        _blockBytes = blockBytes;
        _namespaces = [.. namespaces];
        _crcs = new ArchiveCrc[_namespaces.Length];
        _completed = new bool[_namespaces.Length];

        Span<byte> magic = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(magic, ArchiveFormat.MagicNumber);
        _out.Write(magic);
        _doc.WriteStartDocument();
        _doc.WriteInt32("concurrent_collections"u8, 1);
        _doc.WriteString("version"u8, ArchiveFormat.Version.AsSpan());
        _doc.WriteString("server_version"u8, "".AsSpan());
        _doc.WriteString("tool_version"u8, toolVersion.AsSpan());
        Flush();
        for (int i = 0; i < _namespaces.Length; i++)
        {
            ArchiveNamespace ns = _namespaces[i];
            (string type, string options) = ns.Kind switch
            {
                ArchiveNamespaceKind.View => ("view", $"{{\"viewOn\":{JsonString(ns.ViewOn ?? "")},\"pipeline\":[]}}"),
                ArchiveNamespaceKind.TimeSeries => ("timeseries", "{\"timeseries\":{\"timeField\":\"ts\"}}"),
                _ => ("collection", "{}"),
            };
            _doc.WriteStartDocument();
            _doc.WriteString("db"u8, ns.Database.AsSpan());
            _doc.WriteString("collection"u8, ns.Collection.AsSpan());
            _doc.WriteString("metadata"u8, (metadata?[i] ?? $"{{\"options\":{options},\"indexes\":[],\"type\":\"{type}\"}}").AsSpan());
            _doc.WriteInt32("size"u8, 0);
            _doc.WriteString("type"u8, type.AsSpan());
            Flush();
        }
        Terminator();
    }

    /// <summary>Appends one whole BSON document (its bytes as given) to namespace number <paramref name="ns"/>.</summary>
    public void Write(int ns, ReadOnlySpan<byte> document)
    {
        if (_completed[ns])
        {
            throw new InvalidOperationException($"namespace {Name(ns)} is already completed");
        }
        if (_current != ns || _blockFilled >= _blockBytes)
        {
            CloseBlock();
            Header(ns, eof: false, crc: 0);
            _current = ns;
        }
        _out.Write(document);
        _crcs[ns].Append(document);
        _blockFilled += document.Length;
    }

    /// <summary>Appends every document of a concatenated BSON stream (a .bson file's content).</summary>
    public void WriteAll(int ns, ReadOnlySpan<byte> documents)
    {
        while (!documents.IsEmpty)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(documents);
            Write(ns, documents[..length]);
            documents = documents[length..];
        }
    }

    /// <summary>Writes the namespace's EOF block (with the CRC of all its documents); nothing more can be written to it.</summary>
    public void Complete(int ns)
    {
        if (_completed[ns])
        {
            return;
        }
        CloseBlock();
        Header(ns, eof: true, crc: _crcs[ns].Value);
        Terminator();
        _completed[ns] = true;
    }

    /// <summary>Completes every namespace not yet completed, in order.</summary>
    public void CompleteAll()
    {
        for (int i = 0; i < _namespaces.Length; i++)
        {
            Complete(i);
        }
    }

    private string Name(int ns) => _namespaces[ns].Name;

    private static string JsonString(string s) => System.Text.Json.JsonSerializer.Serialize(s, ArchiveJson.Default.String);

    private void CloseBlock()
    {
        if (_current >= 0)
        {
            Terminator();
        }
        _current = -1;
        _blockFilled = 0;
    }

    private void Header(int ns, bool eof, ulong crc)
    {
        _doc.WriteStartDocument();
        _doc.WriteString("db"u8, _namespaces[ns].Database.AsSpan());
        _doc.WriteString("collection"u8, _namespaces[ns].DataCollection.AsSpan());
        _doc.WriteBoolean("EOF"u8, eof);
        _doc.WriteInt64("CRC"u8, unchecked((long)crc));
        Flush();
    }

    private void Flush()
    {
        _doc.WriteEndDocument();
        _out.Write(_doc.WrittenSpan);
        _doc.Reset();
    }

    private void Terminator()
    {
        Span<byte> t = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(t, ArchiveFormat.Terminator);
        _out.Write(t);
    }

    public void Dispose() => _doc.Dispose();
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ArchiveJson : System.Text.Json.Serialization.JsonSerializerContext;
