using MongoDB.Bson;
using MongoDB.Driver.Core.Configuration;
using MongoDB.Driver.Core.Events;

namespace EtlFast.Core.Sync;

/// <summary>
/// Which command last fed the change stream's cursor, seen through the driver's command events: the
/// cursor's own interface cannot tell a getMore that waited in vain from the first batch of an
/// aggregate (the opening one, or the one the driver resumes with after a fault), and only the first
/// proves the stream is caught up. One per client, whose only cursor is the change stream.
/// </summary>
public sealed class ChangeStreamReplies
{
    private int _lastWasEmptyGetMore;

    /// <summary>The last reply was a getMore's, with an empty nextBatch.</summary>
    public bool LastWasEmptyGetMore => Volatile.Read(ref _lastWasEmptyGetMore) == 1;

    /// <summary>For the client's settings (<c>ClusterConfigurator</c>).</summary>
    public void Configure(ClusterBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Subscribe<CommandSucceededEvent>(Succeeded);
        builder.Subscribe<CommandFailedEvent>(_ => Volatile.Write(ref _lastWasEmptyGetMore, 0));
    }

    private void Succeeded(CommandSucceededEvent e)
    {
        if (e.CommandName is "getMore" or "aggregate")
        {
            bool empty = e.CommandName == "getMore"
                && e.Reply.TryGetValue("cursor", out BsonValue cursor) && cursor is BsonDocument c
                && c.TryGetValue("nextBatch", out BsonValue batch) && batch is BsonArray { Count: 0 };
            Volatile.Write(ref _lastWasEmptyGetMore, empty ? 1 : 0);
        }
    }
}
