using EtlFast.Core.Tests.TestSupport;
using MongoDB.Bson;
using Npgsql;

namespace EtlFast.Core.Tests.Load;

/// <summary>
/// docs/mapping.md: a foreign key may target "that table's single-column primary key or ... a
/// single-column unique index", and the mapping parser accepts both. Loading must then work with
/// keys built after the data and with keys created with the tables.
/// </summary>
public sealed class ForeignKeyTargetTests : IDisposable
{
    private readonly Schemas _schemas = new();
    private readonly ScratchDir _dir = new();

    public void Dispose()
    {
        _schemas.Dispose();
        _dir.Dispose();
    }

    private const string Mapping = """
        {
          "collection": "teams",
          "tables": [
            {
              "name": "teams",
              "columns": [
                { "name": "id",   "type": "bigint", "from": "_id" },
                { "name": "code", "type": "text",   "from": "code" }
              ],
              "primaryKey": ["id"],
              "indexes": [{ "columns": ["code"], "unique": true }]
            },
            {
              "name": "members",
              "path": "members[]",
              "columns": [
                { "name": "team_code", "type": "text",    "from": "$parent.code", "references": "teams.code" },
                { "name": "position",  "type": "integer", "from": "$index" },
                { "name": "name",      "type": "text",    "from": "$value" }
              ],
              "primaryKey": ["team_code", "position"]
            }
          ]
        }
        """;

    [Theory]
    [InlineData("after")]
    [InlineData("before")]
    public void A_foreign_key_to_a_unique_index_column_loads(string constraints)
    {
        var docs = new List<BsonDocument>
        {
            new() { { "_id", 1 }, { "code", "red" }, { "members", new BsonArray { "ann", "bob" } } },
            new() { { "_id", 2 }, { "code", "blue" }, { "members", new BsonArray { "cy" } } },
        };
        string schema = _schemas.New("fk_unique_" + constraints);

        Etlfast.Load(_dir.Write("teams.bson", BsonFile.Encode(docs)), _dir.Write("teams.json", Mapping), schema, "--constraints", constraints).Ok();

        using NpgsqlConnection conn = TestPg.Open();
        var members = new ExpectedTable("members", "team_code", "position").Column("team_code", "text").Column("position", "integer").Column("name", "text");
        members.Add("red", 0, "ann");
        members.Add("red", 1, "bob");
        members.Add("blue", 0, "cy");
        TableAssert.Matches(conn, schema, members);
        Assert.Contains("FK members(team_code) -> teams(code)", PgConstraints.Keys(conn, schema));
        Assert.Contains("UNIQUE teams(code)", PgConstraints.Indexes(conn, schema));
    }
}
