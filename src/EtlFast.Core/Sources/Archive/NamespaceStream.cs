using System.Buffers.Binary;
using System.Text;
using EtlFast.Bson;

namespace EtlFast.Core.Sources.Archive;

/// <summary>
/// One namespace of an archive as a plain stream of concatenated BSON documents, what a .bson file holds,
/// for <see cref="StreamChunker"/> to cut unchanged. Reads the archive forward once: the selected
/// namespace's documents are copied straight into the caller's buffer, other namespaces' blocks are read
/// past, so memory stays flat whatever the archive holds. Every block header is checked against the
/// prelude, every document's framing is checked, and the selected namespace's CRC is compared at its EOF
/// block, where this stream ends.
/// </summary>
internal sealed class NamespaceStream : ForwardOnlyReadStream
{
    private const int MaxHeaderDocument = 64 * 1024; // {db, collection, EOF, CRC}: names are at most a few hundred bytes

    private enum Where { BetweenBlocks, InSelectedBlock, InOtherBlock, Done }

    private readonly ArchiveInput _input;
    private readonly string _selected;                   // data namespace: db.collection (db.system.buckets.x for time-series)
    private readonly Dictionary<string, bool> _closed;   // data namespaces of the prelude: has its EOF block been read?
    private readonly bool _drainAtEnd;
    private readonly byte[] _prefix = new byte[4];
    private Where _where = Where.BetweenBlocks;
    private string? _blockNamespace;
    private int _prefixLeft;     // bytes of _prefix (the current document's length) not yet handed out
    private long _docLeft;       // bytes of the current document after its prefix not yet handed out
    private long _docStart;
    private ArchiveCrc _crc;
    private BsonException? _fault;

    /// <summary>The database of the namespace this stream reads.</summary>
    public string Database { get; }

    /// <summary>Its metadata from the prelude (metadata.json's text), if any.</summary>
    public string? Metadata { get; }

    public NamespaceStream(ArchiveInput input, IReadOnlyList<ArchiveNamespace> prelude, ArchiveNamespace selected, bool drainAtEnd)
        : base(input)
    {
        _input = input;
        _drainAtEnd = drainAtEnd;
        _selected = DataName(selected.Database, selected.DataCollection);
        Database = selected.Database;
        Metadata = selected.Metadata;
        _closed = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (ArchiveNamespace ns in prelude)
        {
            _closed[DataName(ns.Database, ns.DataCollection)] = false;
        }
    }

    private static string DataName(string db, string collection) => db + "." + collection;

    public override int Read(Span<byte> buffer)
    {
        if (_fault is not null)
        {
            throw _fault; // once damaged, every later read says the same
        }
        try
        {
            return ReadCore(buffer);
        }
        catch (BsonException e)
        {
            throw _fault = e;
        }
    }

    /// <summary>Fills as much of <paramref name="buffer"/> as the namespace has, across documents and blocks (a chunk is read in few calls, not one per document).</summary>
    private int ReadCore(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            Span<byte> rest = buffer[total..];
            if (_prefixLeft > 0)
            {
                int n = Math.Min(_prefixLeft, rest.Length);
                ReadOnlySpan<byte> part = _prefix.AsSpan(4 - _prefixLeft, n);
                part.CopyTo(rest);
                _crc.Append(part);
                _prefixLeft -= n;
                total += n;
                continue;
            }
            if (_docLeft > 0)
            {
                total += CopyDocumentBytes(rest);
                continue;
            }
            switch (_where)
            {
                case Where.Done:
                    return total;
                case Where.BetweenBlocks:
                    StartBlock();
                    break;
                default:
                    NextInBlock();
                    break;
            }
        }
        return total;
    }

    /// <summary>Hands out the next bytes of a selected document; at its last byte, checks its terminator.</summary>
    private int CopyDocumentBytes(Span<byte> buffer)
    {
        int n = _input.ReadSome(buffer[..(int)Math.Min(_docLeft, buffer.Length)]);
        if (n == 0)
        {
            throw Truncated();
        }
        _crc.Append(buffer[..n]);
        _docLeft -= n;
        if (_docLeft == 0 && buffer[n - 1] != 0)
        {
            throw _input.Damaged(_input.Position - 1, _blockNamespace,
                $"the document that starts at byte {_docStart} does not end with 0x00 where its length says: its length prefix or its end is corrupt");
        }
        return n;
    }

    /// <summary>Inside a block: the next document (selected: handed out from the next read; other: read past) or the block's terminator.</summary>
    private void NextInBlock()
    {
        _docStart = _input.Position;
        uint length = ReadPrefix();
        if (length == ArchiveFormat.Terminator)
        {
            _where = Where.BetweenBlocks;
            return;
        }
        if (length < 5 || length > BsonReader.MaxFramedDocumentSize)
        {
            throw _input.Damaged(_docStart, _blockNamespace,
                $"{(int)length} is neither a document length (5 to {BsonReader.MaxFramedDocumentSize} bytes) nor the block terminator 0xffffffff");
        }
        if (_where == Where.InSelectedBlock)
        {
            _prefixLeft = 4;
            _docLeft = length - 4;
            return;
        }
        Skip(length - 4);
    }

    private void Skip(long bytes)
    {
        Span<byte> scratch = stackalloc byte[8192];
        byte last = 0;
        while (bytes > 0)
        {
            int n = _input.ReadSome(scratch[..(int)Math.Min(bytes, scratch.Length)]);
            if (n == 0)
            {
                throw Truncated();
            }
            last = scratch[n - 1];
            bytes -= n;
        }
        if (last != 0)
        {
            throw _input.Damaged(_input.Position - 1, _blockNamespace,
                $"the document that starts at byte {_docStart} does not end with 0x00 where its length says: its length prefix or its end is corrupt");
        }
    }

    /// <summary>Between blocks: a namespace header, checked against the prelude; an EOF header closes its namespace.</summary>
    private void StartBlock()
    {
        long at = _input.Position;
        int got = _input.ReadFull(_prefix);
        if (got == 0)
        {
            throw _input.Damaged(at, _selected, "the archive ends before this namespace's EOF block: it is truncated");
        }
        if (got < 4)
        {
            throw _input.Damaged(at + got, null, "the archive ends inside a namespace header: it is truncated");
        }
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_prefix);
        if (length == ArchiveFormat.Terminator)
        {
            throw _input.Damaged(at, null, "a terminator where a namespace header should be (two terminators in a row)");
        }
        byte[] doc = _input.ReadSmallDocument(length, at, null, "a namespace header", MaxHeaderDocument);
        (string ns, bool eof, ulong crc) = ParseHeader(doc, at);
        _blockNamespace = ns;
        if (!_closed.TryGetValue(ns, out bool closed))
        {
            throw _input.Damaged(at, ns, "a block for a namespace the prelude does not list");
        }
        if (closed)
        {
            throw _input.Damaged(at, ns, "a block for a namespace after its EOF block");
        }
        bool selected = ns == _selected;
        if (!eof)
        {
            _where = selected ? Where.InSelectedBlock : Where.InOtherBlock;
            return;
        }
        long end = _input.Position;
        if (ReadPrefix() != ArchiveFormat.Terminator)
        {
            throw _input.Damaged(end, ns, "an EOF header is not followed by the terminator 0xffffffff");
        }
        _closed[ns] = true;
        _where = Where.BetweenBlocks;
        if (selected)
        {
            if (crc != _crc.Value)
            {
                throw _input.Damaged(at, ns,
                    $"the namespace's CRC-64 does not match: its EOF block says {crc}, its documents give {_crc.Value}; a document of it is corrupt");
            }
            _where = Where.Done;
            if (_drainAtEnd)
            {
                _input.Drain();
            }
        }
    }

    private (string Namespace, bool Eof, ulong Crc) ParseHeader(byte[] doc, long at)
    {
        string? db = null, collection = null;
        bool eof = false;
        ulong crc = 0;
        try
        {
            var reader = BsonReader.Create(doc, at);
            while (reader.Read())
            {
                ReadOnlySpan<byte> name = reader.Name;
                if (name.SequenceEqual("db"u8) && reader.Type == BsonType.String)
                {
                    db = Encoding.UTF8.GetString(reader.GetStringUtf8());
                }
                else if (name.SequenceEqual("collection"u8) && reader.Type == BsonType.String)
                {
                    collection = Encoding.UTF8.GetString(reader.GetStringUtf8());
                }
                else if (name.SequenceEqual("EOF"u8) && reader.Type == BsonType.Boolean)
                {
                    eof = reader.GetBoolean();
                }
                else if (name.SequenceEqual("CRC"u8) && reader.Type == BsonType.Int64)
                {
                    crc = unchecked((ulong)reader.GetInt64());
                }
            }
        }
        catch (BsonException e)
        {
            throw _input.Damaged(e.Offset, null, $"a namespace header is not valid BSON: {e.Message}");
        }
        if (db is null || string.IsNullOrEmpty(collection))
        {
            throw _input.Damaged(at, null, "a namespace header lacks its \"db\" or \"collection\" string");
        }
        return (DataName(db, collection), eof, crc);
    }

    private uint ReadPrefix()
    {
        long at = _input.Position;
        int got = _input.ReadFull(_prefix);
        if (got < 4)
        {
            throw _input.Damaged(at + got, _blockNamespace, "the archive ends inside a block: it is truncated");
        }
        return BinaryPrimitives.ReadUInt32LittleEndian(_prefix);
    }

    private BsonException Truncated() =>
        _input.Damaged(_input.Position, _blockNamespace, $"the archive ends inside the document that starts at byte {_docStart}: it is truncated");
}
