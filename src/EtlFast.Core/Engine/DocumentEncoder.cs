using System.Runtime.CompilerServices;
using EtlFast.Bson;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.PgCopy;

namespace EtlFast.Core.Engine;

/// <summary>
/// Walks each document once and appends every row it yields, parent and child tables alike, to the
/// per-table binary COPY buffers. One instance per worker; not thread-safe; allocates nothing per
/// document once its buffers have grown (errors and rejects, the cold paths, may allocate).
/// </summary>
public sealed partial class DocumentEncoder : IDisposable
{
    private readonly LoadPlan _plan;
    private readonly CopyBuffer[] _buffers;
    private readonly Slot[][] _slots;      // [context][slot]
    private readonly int[] _gen;           // [context] current generation
    private readonly long[] _ordinal;      // [context] items seen at this path in the document
    private readonly int[] _index;         // [context] position in its own array
    private readonly Slot[] _itemValue;    // [context] the current array item ($value)
    private readonly int[] _markLength;    // [table] buffer length before the document
    private readonly int[] _markRows;      // [table] buffer rows before the document
    private ReadOnlyMemory<byte> _document;
    private long _sourceOffset;
    private string _sourceName = "";

    public DocumentEncoder(LoadPlan plan, int initialBufferBytes = 256 * 1024)
    {
        _plan = plan;
        _buffers = new CopyBuffer[plan.Tables.Length];
        for (int i = 0; i < _buffers.Length; i++)
        {
            _buffers[i] = new CopyBuffer(initialBufferBytes);
        }
        int contexts = plan.Contexts.Length;
        _slots = new Slot[contexts][];
        for (int i = 0; i < contexts; i++)
        {
            _slots[i] = new Slot[Math.Max(plan.Contexts[i].SlotCount, 1)];
        }
        _gen = new int[contexts];
        _ordinal = new long[contexts];
        _index = new int[contexts];
        _itemValue = new Slot[contexts];
        _markLength = new int[_buffers.Length];
        _markRows = new int[_buffers.Length];
    }

    public void Dispose()
    {
        foreach (CopyBuffer b in _buffers)
        {
            b.Dispose();
        }
    }

    /// <summary>The COPY buffer of each table, in <see cref="LoadPlan.Tables"/> order.</summary>
    public IReadOnlyList<CopyBuffer> Buffers => _buffers;

    /// <summary>Why the last document was rejected (set when <see cref="Encode"/> returns false).</summary>
    public string? LastReject { get; private set; }

    /// <summary>Empties the buffers and writes each table's COPY header.</summary>
    public void BeginChunk(string sourceName)
    {
        _sourceName = sourceName;
        foreach (CopyBuffer b in _buffers)
        {
            b.Reset();
            b.WriteHeader();
        }
    }

    /// <summary>Writes each table's COPY trailer.</summary>
    public void EndChunk()
    {
        foreach (CopyBuffer b in _buffers)
        {
            b.WriteTrailer();
        }
    }

    /// <summary>
    /// Encodes one whole document. True when its rows were appended; false when a policy rejected it
    /// (nothing of it stays in the buffers). Throws <see cref="DataException"/> when a policy says error.
    /// </summary>
    public bool Encode(ReadOnlyMemory<byte> documentMemory, long sourceOffset)
    {
        _document = documentMemory;
        _sourceOffset = sourceOffset;
        ReadOnlySpan<byte> document = documentMemory.Span;
        if (document.Length > BsonReader.DefaultMaxDocumentSize)
        {
            throw Oversized(document, sourceOffset);
        }
        for (int t = 0; t < _buffers.Length; t++)
        {
            _markLength[t] = _buffers[t].Length;
            _markRows[t] = _buffers[t].Rows;
        }
        Array.Clear(_ordinal);
        LastReject = null;

        bool ok;
        try
        {
            BsonReader reader = BsonReader.Create(document, sourceOffset);
            ContextPlan root = _plan.Root;
            int gen = ++_gen[0];
            if (Capture(root.Fields, ref reader, _slots[0], gen) is { } repeated)
            {
                throw Repeated(root, repeated);
            }
            ok = EmitContext(root, document);
        }
        catch (BsonException e)
        {
            RollBackDocument();
            (string table, string column) = OwnerOf(e.Path);
            throw new DataException(DescribeId(document), sourceOffset, _sourceName, e.Path, table, column,
                $"malformed BSON: {e.Message}", "the document is corrupt at that offset");
        }
        catch (DataException)
        {
            RollBackDocument();
            throw;
        }
        if (!ok)
        {
            RollBackDocument();
        }
        return ok;
    }

    /// <summary>Drops whatever rows the current document had appended.</summary>
    private void RollBackDocument()
    {
        for (int t = 0; t < _buffers.Length; t++)
        {
            _buffers[t].Truncate(_markLength[t], _markRows[t]);
        }
    }

    /// <summary>
    /// Records where each mapped field of this level is; descends into documents that hold mapped names.
    /// Returns the node of a mapped name the document holds twice at one level (null when none): loading
    /// either value would drop the other silently. Every node has a slot, so the check is one compare.
    /// </summary>
    private static FieldNode? Capture(FieldNode node, ref BsonReader reader, Slot[] slots, int gen)
    {
        FieldNode[] children = node.ChildArray;
        while (reader.Read())
        {
            FieldNode? match = Match(children, reader.Name);
            if (match is null)
            {
                continue;
            }
            ref Slot s = ref slots[match.Slot];
            if (s.Gen == gen)
            {
                return match;
            }
            s.Gen = gen;
            s.Type = reader.Type;
            s.Depth = (byte)reader.Depth;
            s.ElementStart = reader.ElementStart;
            s.ValueStart = reader.ValueStart;
            s.ValueLength = reader.ValueLength;
            if (match.ChildArray.Length > 0 && reader.Type is BsonType.Document or BsonType.Array)
            {
                BsonReader inner = reader.GetDocument();
                if (Capture(match, ref inner, slots, gen) is { } repeated)
                {
                    return repeated;
                }
            }
        }
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static FieldNode? Match(FieldNode[] candidates, ReadOnlySpan<byte> name)
    {
        foreach (FieldNode c in candidates)
        {
            byte[] n = c.NameUtf8;
            if (n.Length == name.Length && name.SequenceEqual(n))
            {
                return c;
            }
        }
        return null;
    }

    /// <summary>Encodes the rows of the context's tables, then walks its child arrays. False: document rejected.</summary>
    private bool EmitContext(ContextPlan context, ReadOnlySpan<byte> document)
    {
        Slot[] slots = _slots[context.Index];
        int gen = _gen[context.Index];
        foreach (TablePlan table in context.Tables)
        {
            if (table.SubdocumentSlot >= 0)
            {
                ref Slot sub = ref slots[table.SubdocumentSlot];
                if (sub.Gen != gen || sub.Type == BsonType.Null)
                {
                    continue; // no subdocument, no row
                }
                if (sub.Type != BsonType.Document && !SubdocumentMismatch(table, context, sub))
                {
                    return false;
                }
                if (sub.Type != BsonType.Document)
                {
                    continue;
                }
            }
            if (!EncodeRow(table, document))
            {
                return false;
            }
        }

        foreach (ContextPlan child in context.Children)
        {
            ref Slot array = ref slots[child.ArraySlot];
            if (array.Gen != gen || array.Type == BsonType.Null)
            {
                continue; // no array, no items
            }
            if (array.Type != BsonType.Array)
            {
                if (!ArrayMismatch(child, context, array))
                {
                    return false;
                }
                continue;
            }
            BsonReader holder = BsonReader.OverElement(document, _sourceOffset, array.ElementStart, array.ElementEnd, array.Depth);
            holder.Read();
            BsonReader items = holder.GetDocument();
            int ci = child.Index;
            Slot[] childSlots = _slots[ci];
            int index = 0;
            while (items.Read())
            {
                int childGen = ++_gen[ci];
                _index[ci] = index;
                ref Slot item = ref _itemValue[ci];
                item.Gen = childGen;
                item.Type = items.Type;
                item.Depth = (byte)items.Depth;
                item.ElementStart = items.ElementStart;
                item.ValueStart = items.ValueStart;
                item.ValueLength = items.ValueLength;
                if (items.Type == BsonType.Document && child.Fields.ChildArray.Length > 0)
                {
                    BsonReader inner = items.GetDocument();
                    if (Capture(child.Fields, ref inner, childSlots, childGen) is { } repeated)
                    {
                        throw Repeated(child, repeated);
                    }
                }
                if (!EmitContext(child, document))
                {
                    return false;
                }
                _ordinal[ci]++;
                index++;
            }
        }
        return true;
    }

    private bool EncodeRow(TablePlan table, ReadOnlySpan<byte> document)
    {
        CopyBuffer buffer = _buffers[table.Index];
        ColumnPlan[] columns = table.Columns;
        buffer.StartRow((short)columns.Length);
        for (int i = 0; i < columns.Length; i++)
        {
            ColumnPlan column = columns[i];
            bool ok = column.IsArithmetic
                ? EncodeArithmetic(table, column, buffer)
                : EncodeSingle(table, column, buffer, document);
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    private bool EncodeSingle(TablePlan table, ColumnPlan column, CopyBuffer buffer, ReadOnlySpan<byte> document)
    {
        // By reference: a ValueRef is ~40 bytes and a Slot ~24, copied per value otherwise.
        ref readonly ValueRef r = ref column.Terms[0];
        switch (r.Kind)
        {
            case ValueRefKind.Slot:
            {
                ref Slot slot = ref _slots[r.Context][r.Slot];
                if (slot.Gen != _gen[r.Context])
                {
                    return ApplyPolicy(column.OnMissing, table, column, r, buffer, "the field is missing");
                }
                return EncodeValue(table, column, r, buffer, document, ref slot);
            }
            case ValueRefKind.ContextValue:
                return EncodeValue(table, column, r, buffer, document, ref _itemValue[r.Context]);
            case ValueRefKind.Ordinal:
                return WriteInteger(table, column, r, buffer, _ordinal[r.Context]);
            case ValueRefKind.Index:
                return WriteInteger(table, column, r, buffer, _index[r.Context]);
            default:
                return WriteInteger(table, column, r, buffer, r.Constant);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool EncodeValue(TablePlan table, ColumnPlan column, in ValueRef r, CopyBuffer buffer, ReadOnlySpan<byte> document, ref Slot slot)
    {
        if (slot.Type == BsonType.Null)
        {
            return ApplyPolicy(column.OnNull, table, column, r, buffer, "the value is null");
        }
        ValueStatus status = ValueEncoder.Write(column, slot, document, _sourceOffset, buffer);
        return status == ValueStatus.Ok || EncodeFailed(status, table, column, r, buffer, slot);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool EncodeFailed(ValueStatus status, TablePlan table, ColumnPlan column, in ValueRef r, CopyBuffer buffer, in Slot slot) =>
        status == ValueStatus.TypeMismatch
            ? ApplyPolicy(column.OnTypeMismatch, table, column, r, buffer,
                $"a {BsonTypeNames.Of(slot.Type)} value cannot be stored in a {column.SqlType} column")
            : Fail(table, column, r, ValueEncoder.Describe(status, column, slot, _document.Span));

    private bool EncodeArithmetic(TablePlan table, ColumnPlan column, CopyBuffer buffer)
    {
        long sum = 0;
        ValueRef[] terms = column.Terms;
        for (int i = 0; i < terms.Length; i++)
        {
            ref readonly ValueRef term = ref terms[i];
            long v;
            switch (term.Kind)
            {
                case ValueRefKind.Constant:
                    if (!TryAdd(ref sum, term.Constant, 1))
                    {
                        return Overflow(table, column, term);
                    }
                    continue;
                case ValueRefKind.Ordinal:
                    v = _ordinal[term.Context];
                    break;
                case ValueRefKind.Index:
                    v = _index[term.Context];
                    break;
                default:
                    ref Slot slot = ref term.Kind == ValueRefKind.ContextValue ? ref _itemValue[term.Context] : ref _slots[term.Context][term.Slot];
                    if (term.Kind == ValueRefKind.Slot && slot.Gen != _gen[term.Context])
                    {
                        return ApplyPolicy(column.OnMissing, table, column, term, buffer, "the field is missing");
                    }
                    if (slot.Type == BsonType.Null)
                    {
                        return ApplyPolicy(column.OnNull, table, column, term, buffer, "the value is null");
                    }
                    if (!ValueEncoder.TryGetInteger(slot, _document.Span, out v))
                    {
                        return ApplyPolicy(column.OnTypeMismatch, table, column, term, buffer,
                            $"{term.Display} is a {BsonTypeNames.Of(slot.Type)}, but \"{column.From}\" needs an integer");
                    }
                    break;
            }
            if (!TryAdd(ref sum, v, term.Factor))
            {
                return Overflow(table, column, term);
            }
        }
        return WriteInteger(table, column, terms[0], buffer, sum);
    }

    /// <summary>sum += value * factor, false on 64-bit overflow (checked without exceptions: this runs per row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryAdd(ref long sum, long value, long factor)
    {
        long product;
        if (factor == 1)
        {
            product = value;
        }
        else
        {
            long high = Math.BigMul(value, factor, out long low);
            if (high != (low >> 63))
            {
                return false;
            }
            product = low;
        }
        long result = unchecked(sum + product);
        if (((sum ^ result) & (product ^ result)) < 0)
        {
            return false;
        }
        sum = result;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Overflow(TablePlan table, ColumnPlan column, in ValueRef term) =>
        Fail(table, column, term, $"\"{column.From}\" overflows a 64-bit integer");

    private bool WriteInteger(TablePlan table, ColumnPlan column, in ValueRef r, CopyBuffer buffer, long value) =>
        ValueEncoder.WriteInteger(column, value, buffer) == ValueStatus.Ok
        || Fail(table, column, r, $"the value {value} is out of range for type {column.SqlType}");

    private bool ApplyPolicy(ValuePolicy policy, TablePlan table, ColumnPlan column, in ValueRef r, CopyBuffer buffer, string reason)
    {
        switch (policy)
        {
            case ValuePolicy.Null:
                buffer.WriteNull();
                return true;
            case ValuePolicy.Default:
                buffer.WriteRaw(column.DefaultField!); // the parser requires a default for this policy
                return true;
            case ValuePolicy.Reject:
                LastReject = Describe(table, column, r, reason).Message;
                return false;
            default:
                return Fail(table, column, r, reason);
        }
    }

    private bool SubdocumentMismatch(TablePlan table, ContextPlan context, in Slot sub)
    {
        ValuePolicy policy = table.Mapping.Policies.OnTypeMismatch ?? _plan.Mapping.Defaults.OnTypeMismatch ?? ValuePolicy.Error;
        string reason = $"\"{table.SubdocumentPath}\" is a {BsonTypeNames.Of(sub.Type)}, not a document";
        return MismatchPolicy(policy, table, FieldPath(context, table.SubdocumentSlot), reason);
    }

    private bool ArrayMismatch(ContextPlan child, ContextPlan context, in Slot array)
    {
        TablePlan table = FirstTable(child);
        ValuePolicy policy = table.Mapping.Policies.OnTypeMismatch ?? _plan.Mapping.Defaults.OnTypeMismatch ?? ValuePolicy.Error;
        string reason = $"\"{child.Path[^1].Name}\" is a {BsonTypeNames.Of(array.Type)}, not an array";
        return MismatchPolicy(policy, table, FieldPath(context, child.ArraySlot), reason);
    }

    private static TablePlan FirstTable(ContextPlan context)
    {
        if (context.Tables.Count > 0)
        {
            return context.Tables[0];
        }
        foreach (ContextPlan c in context.Children)
        {
            return FirstTable(c);
        }
        throw new InvalidOperationException("a context without tables");
    }

    /// <summary>Null and default policies skip the rows; reject rejects the document; error stops.</summary>
    private bool MismatchPolicy(ValuePolicy policy, TablePlan table, string field, string reason)
    {
        switch (policy)
        {
            case ValuePolicy.Null or ValuePolicy.Default:
                return true;
            case ValuePolicy.Reject:
                LastReject = $"field \"{field}\" for table \"{table.Name}\": {reason}";
                return false;
            default:
                throw new DataException(DescribeId(_document.Span), _sourceOffset, _sourceName, field, table.Name, "", reason,
                    "fix the document, or set \"onTypeMismatch\" on the table to \"reject\" or \"null\" (skip its rows)");
        }
    }
}
