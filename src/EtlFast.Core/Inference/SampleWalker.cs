using System.Text;
using EtlFast.Bson;

namespace EtlFast.Core.Inference;

/// <summary>
/// Walks sampled documents with <see cref="BsonReader"/> (no object model) into one tree of
/// <see cref="FieldStats"/>: every field path, how often it is present, its BSON types, and the shape of
/// its subdocuments and arrays. Malformed BSON ends in a <see cref="BsonException"/> naming the byte offset.
/// </summary>
public sealed class SampleWalker
{
    private long _visits;

    /// <summary>The top-level documents' fields.</summary>
    public ObjectStats Root { get; } = new();

    public long Documents => Root.Count;

    public long Bytes => Root.Bytes;

    /// <summary>Adds one whole document; <paramref name="offset"/> is its position in the source, for error messages.</summary>
    public void Add(ReadOnlySpan<byte> document, long offset)
    {
        var reader = BsonReader.Create(document, offset);
        Root.Count++;
        Root.Bytes += document.Length;
        WalkObject(ref reader, Root);
    }

    private void WalkObject(ref BsonReader reader, ObjectStats obj)
    {
        long visit = ++_visits;
        while (reader.Read())
        {
            FieldStats field = obj.Field(NameOf(reader.Name));
            if (field.LastVisit != visit)
            {
                field.LastVisit = visit;
                field.Present++;
            }
            else if (field.LastRepeat != visit)
            {
                field.LastRepeat = visit;
                field.Repeated++;
            }
            AddValue(ref reader, field);
        }
    }

    private void AddValue(ref BsonReader reader, FieldStats field)
    {
        BsonType type = reader.Type;
        field.CountType(type);
        switch (type)
        {
            case BsonType.Document:
            {
                ObjectStats obj = field.Object ??= new ObjectStats();
                obj.Count++;
                obj.Bytes += reader.ValueLength;
                BsonReader inner = reader.GetDocument();
                WalkObject(ref inner, obj);
                break;
            }
            case BsonType.Array:
            {
                ArrayStats array = field.Array ??= new ArrayStats();
                array.Arrays++;
                BsonReader items = reader.GetDocument();
                int n = 0;
                while (items.Read())
                {
                    n++;
                    array.Items.Present++;
                    AddValue(ref items, array.Items);
                }
                if (n == 0)
                {
                    array.Empty++;
                }
                array.MaxLength = Math.Max(array.MaxLength, n);
                break;
            }
            case BsonType.String or BsonType.Symbol or BsonType.JavaScript:
                if (reader.GetStringUtf8().Contains((byte)0))
                {
                    field.StringsWithNul++;
                }
                field.Remember(type, reader.ValueBytes);
                break;
            case BsonType.Binary:
                reader.GetBinary(out BsonBinarySubtype subtype);
                if (subtype == BsonBinarySubtype.Uuid)
                {
                    field.UuidBinaries++;
                }
                field.Remember(type, reader.ValueBytes);
                break;
            case BsonType.Double:
                if (!double.IsFinite(reader.GetDouble()))
                {
                    field.NonFiniteDoubles++;
                }
                break;
            case BsonType.JavaScriptWithScope:
            {
                // Checks the scope's framing like every other part of the document; its fields are not mapped.
                BsonReader scope = reader.GetCodeWithScope(out _);
                while (scope.Read())
                {
                }
                break;
            }
            case BsonType.ObjectId or BsonType.Int32 or BsonType.Int64:
                field.Remember(type, reader.ValueBytes);
                break;
        }
    }

    // The reader has checked the name is UTF-8; the sample is small, so a string per element is fine here.
    private static string NameOf(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
