using MongoDB.Bson;
using MongoDB.Driver;

namespace EtlFast.Core.Tests.WireServerTests;

using WireServer = EtlFast.WireServer.WireServer;

/// <summary>Everything outside the implemented subset is refused with code 115 and a message naming it.</summary>
public sealed class UnsupportedTests
{
    private static MongoCommandException Refused(Action action, string expectedWhat)
    {
        var e = Assert.Throws<MongoCommandException>(action);
        Assert.Equal(115, e.Code);
        Assert.Equal("CommandNotSupported", e.CodeName);
        Assert.Equal("wire test server does not implement " + expectedWhat, e.ErrorMessage);
        return e;
    }

    [Fact]
    public async Task Unknown_commands_operators_stages_and_options_are_named()
    {
        await using var server = new WireServer();
        server.AddDocuments("db", "c", WireKit.IntDocs(5));
        using var client = WireKit.Client(server);
        var db = client.GetDatabase("db");
        var coll = WireKit.Collection(client);

        Refused(() => db.RunCommand<BsonDocument>(new BsonDocument("serverStatus", 1)), "command 'serverStatus'");
        Refused(() => db.RunCommand<BsonDocument>(new BsonDocument("getParameter", 1)), "command 'getParameter'");
        Refused(() => coll.Find(new BsonDocument("s", new BsonDocument("$regex", "^v"))).ToList(), "query operator '$regex'");
        Refused(() => coll.Find(new BsonDocument("$or", new BsonArray { new BsonDocument("_id", 1) })).ToList(), "query operator '$or'");
        Refused(() => coll.Find(new BsonDocument("a.b", 1)).ToList(), "dotted field path 'a.b' in a filter");
        Refused(() => coll.Aggregate<BsonDocument>(new[] { new BsonDocument("$lookup", new BsonDocument()) }).ToList(), "aggregation stage '$lookup'");
        Refused(() => coll.Aggregate<BsonDocument>(new[] { new BsonDocument("$group", new BsonDocument { { "_id", BsonNull.Value }, { "x", new BsonDocument("$push", "$_id") } }) }).ToList(),
            "$group accumulator '$push'");
        Refused(() => coll.Find(new BsonDocument(), new FindOptions { Collation = new Collation("fr") }).ToList(), "option 'collation' of command 'find'");
        Refused(() => coll.Find(new BsonDocument()).Sort(new BsonDocument("_id", "text")).ToList(), "sort direction text for '_id' in find (only 1 and -1)");
        Refused(() => coll.UpdateOne(new BsonDocument("_id", 1), new BsonDocument("$rename", new BsonDocument("x", "y"))), "update operator '$rename'");
        Refused(() => db.RunCommand<BsonDocument>(new BsonDocument { { "findAndModify", "c" }, { "query", new BsonDocument() } }), "command 'findAndModify'");
        Refused(() => coll.Find(new BsonDocument()).Project(new BsonDocument("s", new BsonDocument("$slice", 1))).ToList(), "expression for field 's' in a find projection");
    }

    [Fact]
    public async Task A_refused_command_leaves_the_connection_usable()
    {
        await using var server = new WireServer();
        using var client = WireKit.Client(server);
        var db = client.GetDatabase("db");
        Assert.Throws<MongoCommandException>(() => db.RunCommand<BsonDocument>(new BsonDocument("fsync", 1)));
        Assert.Equal(1.0, db.RunCommand<BsonDocument>(new BsonDocument("ping", 1))["ok"].ToDouble());
    }
}
