using MongoDB.Bson;

namespace EtlFast.WireServer.Query;

/// <summary>Inclusion or exclusion of top-level fields ({a:1,b:1} or {a:0}); `_id` is kept unless excluded.</summary>
internal sealed class Projection
{
    private readonly HashSet<string> fields = new(StringComparer.Ordinal);
    private bool inclusion;
    private bool includeId = true;

    private Projection()
    {
    }

    public bool IsIdentity => fields.Count == 0 && includeId && !inclusion;

    /// <param name="what">Where the spec came from, for messages ("find projection", "$project").</param>
    public static Projection Compile(BsonDocument? spec, string what)
    {
        var projection = new Projection();
        if (spec is null)
        {
            return projection;
        }
        bool? mode = null;
        foreach (var element in spec)
        {
            if (element.Name.StartsWith('$') || element.Name.Contains('.', StringComparison.Ordinal))
            {
                throw CommandException.NotImplemented($"field path '{element.Name}' in a {what}");
            }
            bool include = element.Value.BsonType switch
            {
                BsonType.Boolean => element.Value.AsBoolean,
                BsonType.Int32 or BsonType.Int64 or BsonType.Double or BsonType.Decimal128 => element.Value.ToDouble() != 0,
                _ => throw CommandException.NotImplemented($"expression for field '{element.Name}' in a {what}"),
            };
            if (element.Name == "_id")
            {
                projection.includeId = include;
                continue;
            }
            if (mode is not null && mode != include)
            {
                throw new CommandException(
                    include ? 31254 : 31253,
                    include ? "Location31254" : "Location31253",
                    include
                        ? $"Cannot do inclusion on field {element.Name} in exclusion projection"
                        : $"Cannot do exclusion on field {element.Name} in inclusion projection");
            }
            mode = include;
            projection.fields.Add(element.Name);
        }
        // {_id: 1} alone is an inclusion projection too.
        projection.inclusion = mode ?? (spec.Contains("_id") && projection.includeId);
        return projection;
    }

    public DocView Apply(DocView view)
    {
        if (IsIdentity)
        {
            return view;
        }
        var output = new BsonDocument();
        foreach (var element in view.Document)
        {
            bool keep = element.Name == "_id" ? includeId : (inclusion ? fields.Contains(element.Name) : !fields.Contains(element.Name));
            if (keep)
            {
                output.Add(element.Name, Own(element.Value));
            }
        }
        return DocView.Of(output);
    }

    /// <summary>Raw sub-documents point into the source buffer; copy them so the output stands alone.</summary>
    internal static BsonValue Own(BsonValue value) => value switch
    {
        RawBsonDocument raw => raw.Materialize(new MongoDB.Bson.IO.BsonBinaryReaderSettings()),
        RawBsonArray array => array.Materialize(new MongoDB.Bson.IO.BsonBinaryReaderSettings()),
        _ => value,
    };
}
