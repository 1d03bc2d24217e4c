using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using EtlFast.Core.Engine;
using EtlFast.Core.Load;
using EtlFast.Core.Plan;
using EtlFast.Core.Sources;

namespace EtlFast.Core.Constraints;

/// <summary>
/// A new read of the source through the same encoder as the load, to find which documents' rows carry
/// duplicated key values: each document's rows in a key's table are compared, as binary COPY bytes,
/// with the values PostgreSQL reported. With rejecting, it also decides in source order which
/// documents go: a document is rejected when a value it carries was kept by an earlier document, or
/// when it carries a value twice itself; otherwise it keeps its values.
/// </summary>
internal sealed class DuplicateTrace
{
    private readonly LoadPlan _plan;
    private readonly LoadOptions _options;
    private readonly KeySpec[] _keys;
    private readonly Dictionary<string, DuplicateValue>[] _byTuple;
    private readonly HashSet<int>[] _hashes;
    private readonly bool _reject;
    private readonly CancellationToken _cancel;
    private readonly List<DuplicateValue> _hits = [];

    public DuplicateTrace(LoadPlan plan, LoadOptions options, KeySpec[] keys, List<DuplicateValue>[] values, bool reject, CancellationToken cancel)
    {
        _plan = plan;
        _options = options;
        _keys = keys;
        _reject = reject;
        _cancel = cancel;
        _byTuple = new Dictionary<string, DuplicateValue>[keys.Length];
        _hashes = new HashSet<int>[keys.Length];
        for (int k = 0; k < keys.Length; k++)
        {
            _byTuple[k] = new Dictionary<string, DuplicateValue>(StringComparer.Ordinal);
            _hashes[k] = [];
            foreach (DuplicateValue v in values[k])
            {
                _byTuple[k][Encoding.Latin1.GetString(v.Tuple)] = v;
                _hashes[k].Add(Hash(v.Tuple));
            }
        }
        Live = MongoSource.IsMongoUri(options.From);
    }

    /// <summary>The documents to reject, in source order (when rejecting).</summary>
    public List<DuplicateReject> Rejected { get; } = [];

    public string SourceName { get; private set; } = "";

    /// <summary>A live source: documents are named by _id (its byte offsets are of no use to anyone).</summary>
    public bool Live { get; }

    public void Run((HashSet<long> Offsets, HashSet<string> Ids) recorded)
    {
        // The whole source, whichever partition builds the keys: every partition's rows are in the tables.
        using IChunkSource source = SourceFactory.Open(_plan, _options with { Partition = Partition.Whole }, _cancel);
        SourceName = source.DisplayName;
        using var encoder = new DocumentEncoder(_plan, 64 * 1024);
        var marks = new int[_keys.Length];
        var fields = new (int Start, int Length)[_plan.Tables.Max(t => t.Columns.Length)];
        var tuple = new ArrayBufferWriter<byte>();
        while (source.Next(_cancel) is { } chunk)
        {
            try
            {
                encoder.BeginChunk(source.DisplayName);
                for (int offset = 0; offset < chunk.Length;)
                {
                    int length = BinaryPrimitives.ReadInt32LittleEndian(chunk.Span[offset..]);
                    ReadOnlyMemory<byte> document = chunk.Memory.Slice(offset, length);
                    long at = chunk.SourceOffset + offset;
                    offset += length;
                    if (Live ? recorded.Ids.Contains(DocumentEncoder.DescribeId(document.Span)) : recorded.Offsets.Contains(at))
                    {
                        continue; // rejected by the load: none of its rows are in the tables
                    }
                    for (int k = 0; k < _keys.Length; k++)
                    {
                        marks[k] = encoder.Buffers[_keys[k].Table.Index].Length;
                    }
                    if (!Encode(encoder, document, at))
                    {
                        continue;
                    }
                    _hits.Clear();
                    for (int k = 0; k < _keys.Length; k++)
                    {
                        Match(k, encoder.Buffers[_keys[k].Table.Index].WrittenSpan, marks[k], fields, tuple);
                    }
                    if (_hits.Count > 0)
                    {
                        Visit(document.Span, at, chunk.Index);
                    }
                }
            }
            finally
            {
                chunk.Release();
            }
            _cancel.ThrowIfCancellationRequested();
        }
    }

    /// <summary>False for a document the encoder rejects or refuses: the load stored no rows of it.</summary>
    private static bool Encode(DocumentEncoder encoder, ReadOnlyMemory<byte> document, long at)
    {
        try
        {
            return encoder.Encode(document, at);
        }
        catch (DataException)
        {
            return false;
        }
    }

    /// <summary>Adds to the hits each duplicated value of key <paramref name="k"/> among the rows written from <paramref name="start"/>.</summary>
    private void Match(int k, ReadOnlySpan<byte> buffer, int start, (int Start, int Length)[] fields, ArrayBufferWriter<byte> tuple)
    {
        KeySpec key = _keys[k];
        var rows = new CopyRows(buffer, start);
        while (rows.Next(fields, out _))
        {
            tuple.ResetWrittenCount();
            foreach (int c in key.Columns)
            {
                tuple.Write(rows.Field(fields[c]));
            }
            if (_hashes[k].Contains(Hash(tuple.WrittenSpan))
                && _byTuple[k].TryGetValue(Encoding.Latin1.GetString(tuple.WrittenSpan), out DuplicateValue? value))
            {
                _hits.Add(value);
            }
        }
    }

    private static int Hash(ReadOnlySpan<byte> bytes)
    {
        var h = new HashCode();
        h.AddBytes(bytes);
        return h.ToHashCode();
    }

    private void Visit(ReadOnlySpan<byte> document, long at, long chunk)
    {
        string id = DocumentEncoder.DescribeId(document);
        DuplicateValue? kept = null, twice = null;
        foreach (DuplicateValue v in _hits.Distinct())
        {
            int times = _hits.Count(h => h == v);
            v.DocumentCount++;
            if (v.Documents.Count < DuplicateValue.Shown)
            {
                v.Documents.Add((at, id, times));
            }
            kept ??= v.Keeper is null ? null : v;
            twice ??= times > 1 ? v : null;
        }
        if (!_reject)
        {
            return;
        }
        if (kept is null && twice is null)
        {
            foreach (DuplicateValue v in _hits)
            {
                v.Keeper = (at, id);
            }
            return;
        }
        string reason = kept is not null
            ? $"duplicate key in table \"{kept.Key.Table.Name}\": {kept.Display} also comes from document _id {kept.Keeper!.Value.Id}{(Live ? "" : $" at byte offset {kept.Keeper.Value.Offset}")}, which is kept"
            : $"duplicate key in table \"{twice!.Key.Table.Name}\": the document yields {twice.Display} more than once";
        Rejected.Add(new DuplicateReject(document.ToArray(), id, at, chunk, reason));
    }
}
