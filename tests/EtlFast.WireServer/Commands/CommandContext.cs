using EtlFast.WireServer.Protocol;
using MongoDB.Bson;

namespace EtlFast.WireServer.Commands;

/// <summary>One command being answered: the server, the connection, the request and its body.</summary>
internal sealed class CommandContext
{
    /// <summary>Fields any command may carry that change nothing here (sessions, read preference, timeouts).</summary>
    private static readonly HashSet<string> GenericFields = new(StringComparer.Ordinal)
    {
        "$db", "lsid", "$clusterTime", "$readPreference", "readConcern", "writeConcern", "maxTimeMS", "comment",
        "apiVersion", "apiStrict", "apiDeprecationErrors",
    };

    public CommandContext(WireServer server, int connectionId, WireRequest request, string database, CancellationToken cancellation)
    {
        Server = server;
        ConnectionId = connectionId;
        Request = request;
        Database = database;
        Cancellation = cancellation;
        Name = request.Body.ElementCount > 0 ? request.Body.GetElement(0).Name : "";
    }

    public WireServer Server { get; }

    public int ConnectionId { get; }

    public WireRequest Request { get; }

    public BsonDocument Body => Request.Body;

    public string Database { get; }

    public string Name { get; }

    public CancellationToken Cancellation { get; }

    /// <summary>Refuses, by name, any field this command does not implement.</summary>
    public void CheckOptions(params string[] allowed)
    {
        bool first = true;
        foreach (var element in Body)
        {
            if (first)
            {
                first = false;
                continue;
            }
            string field = element.Name;
            if (field is "autocommit" or "startTransaction" or "txnNumber" && Array.IndexOf(allowed, field) < 0)
            {
                throw CommandException.NotImplemented($"transactions (field '{field}' of command '{Name}')");
            }
            if (GenericFields.Contains(field) || Array.IndexOf(allowed, field) >= 0)
            {
                continue;
            }
            throw CommandException.NotImplemented($"option '{field}' of command '{Name}'");
        }
        if (Body.TryGetValue("readConcern", out var readConcern))
        {
            CheckReadConcern(readConcern);
        }
    }

    private void CheckReadConcern(BsonValue readConcern)
    {
        if (readConcern is not BsonDocument doc)
        {
            throw CommandException.BadValue("readConcern must be a document");
        }
        foreach (var element in doc)
        {
            if (element.Name != "level")
            {
                throw CommandException.NotImplemented($"readConcern option '{element.Name}' of command '{Name}'");
            }
            string level = element.Value.IsString ? element.Value.AsString : element.Value.ToString()!;
            if (level is not ("local" or "available" or "majority"))
            {
                throw CommandException.NotImplemented($"readConcern level '{level}' of command '{Name}'");
            }
        }
    }

    /// <summary>The collection named by the command's first field.</summary>
    public string CollectionName()
    {
        var value = Body[0];
        if (!value.IsString || value.AsString.Length == 0)
        {
            throw new CommandException(73, "InvalidNamespace", $"command '{Name}' needs a collection name, got {value}");
        }
        return value.AsString;
    }

    public BsonDocument? Document(string field)
    {
        if (!Body.TryGetValue(field, out var value) || value.IsBsonNull)
        {
            return null;
        }
        return value as BsonDocument ?? throw new CommandException(14, "TypeMismatch", $"'{field}' of command '{Name}' must be a document, got {value.BsonType}");
    }

    /// <summary>An integral option (int32, int64 or a whole double), or null when absent.</summary>
    public long? Integer(string field)
    {
        if (!Body.TryGetValue(field, out var value) || value.IsBsonNull)
        {
            return null;
        }
        return value.BsonType switch
        {
            BsonType.Int32 or BsonType.Int64 => value.ToInt64(),
            BsonType.Double when value.AsDouble == Math.Floor(value.AsDouble) => (long)value.AsDouble,
            _ => throw new CommandException(14, "TypeMismatch", $"'{field}' of command '{Name}' must be a whole number, got {value}"),
        };
    }

    public bool Flag(string field) => Body.TryGetValue(field, out var value) && value.ToBoolean();
}
