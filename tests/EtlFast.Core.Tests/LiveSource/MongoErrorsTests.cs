using System.Net;
using EtlFast.Core.Sources;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;

namespace EtlFast.Core.Tests.LiveSource;

/// <summary>
/// The one classifier of driver errors: a command or stage the server lacks is named as such and is a
/// usage failure (exit 2), never "lost mongodb://..." with a hint to --resume (exit 3).
/// </summary>
public sealed class MongoErrorsTests
{
    private static MongoCommandException CommandError(int code, string codeName, string message, string command) =>
        new(new ConnectionId(new ServerId(new ClusterId(), new DnsEndPoint("127.0.0.1", 27017))), $"Command {command} failed: {message}.",
            new BsonDocument(command, "c"), new BsonDocument { { "ok", 0 }, { "errmsg", message }, { "code", code }, { "codeName", codeName } });

    [Theory]
    [InlineData(238, "NotImplemented", "unsupported aggregation stage: $sample [feature=aggregation.stage.$sample]", "aggregate", "$sample")] // jongodb
    [InlineData(40324, "Location40324", "Unrecognized pipeline stage name: '$bucketAuto'", "aggregate", "$bucketAuto")] // mongod
    [InlineData(59, "CommandNotFound", "no such command: 'drop'", "drop", "the drop command")]
    [InlineData(115, "CommandNotSupported", "not supported here", "count", "the count command")]
    public void A_command_or_stage_the_server_lacks_is_named_and_is_no_connection_fault(int code, string codeName, string message, string command, string named)
    {
        MongoCommandException e = CommandError(code, codeName, message, command);

        Assert.True(MongoErrors.IsNotImplemented(e));
        Assert.False(MongoErrors.IsTransient(e, cursorOpen: true)); // sending it again cannot help
        SourceException failure = new MongoRetry("mongodb://127.0.0.1:27017/db.c", null).Fail(e, "running the command", 1);
        Assert.False(failure.IsConnection);
        Assert.StartsWith($"the server does not implement {named} (mongodb://127.0.0.1:27017/db.c, while running the command): ", failure.Message);
        Assert.DoesNotContain("--resume", failure.Hint);
    }

    [Fact]
    public void A_command_error_on_an_open_cursor_is_still_transient()
    {
        MongoCommandException e = CommandError(1, "InternalError", "something broke", "getMore");
        Assert.False(MongoErrors.IsNotImplemented(e));
        Assert.True(MongoErrors.IsTransient(e, cursorOpen: true));
    }
}
