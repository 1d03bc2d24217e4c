using EtlFast.Core.Mapping;

namespace EtlFast.Core.Tests.Mapping;

/// <summary>The seed layout (examples/seed-users.json) is the mapping every benchmark run uses.</summary>
public sealed class SeedMappingTests
{
    private static readonly MappingDocument Seed = MappingParser.ParseFile(Path.Combine(MappingTestKit.RepoRoot(), "examples", "seed-users.json"));

    [Fact]
    public void Reads_the_source_and_fifteen_tables_in_file_order()
    {
        Assert.Equal("users", Seed.Collection);
        Assert.Equal("sample_db", Seed.Database);
        Assert.Null(Seed.Schema);
        Assert.Equal(PolicySet.Inherit, Seed.Defaults);
        Assert.EndsWith("seed-users.json", Seed.FileName, StringComparison.Ordinal);
        string[] expected =
        [
            "users", "addresses", "profiles", "education", "experience", "preferences", "settings",
            "activity_log", "transactions", "messages", "attachments", "social_media", "posts", "groups", "large_data",
        ];
        Assert.Equal(expected, Seed.Tables.Select(t => t.Name));
    }

    [Theory]
    [InlineData("users", null, 8)]
    [InlineData("addresses", "address", 8)]
    [InlineData("profiles", "profile", 5)]
    [InlineData("education", "profile.education[]", 6)]
    [InlineData("experience", "profile.experience[]", 6)]
    [InlineData("preferences", "preferences", 5)]
    [InlineData("settings", "preferences.settings[]", 6)]
    [InlineData("activity_log", "activityLog[]", 6)]
    [InlineData("transactions", "transactions[]", 6)]
    [InlineData("messages", "messages[]", 8)]
    [InlineData("attachments", "messages[].attachments[]", 5)]
    [InlineData("social_media", "socialMedia", 3)]
    [InlineData("posts", "socialMedia.posts[]", 6)]
    [InlineData("groups", "socialMedia.groups[]", 4)]
    [InlineData("large_data", "largeData", 7)]
    public void Each_table_has_its_path_columns_and_key(string name, string? path, int columns)
    {
        TableMapping t = Seed.Tables.Single(x => x.Name == name);
        Assert.Equal(path, t.Path);
        Assert.Equal(columns, t.Columns.Count);
        Assert.Equal(["id"], t.PrimaryKey);
        Assert.Empty(t.Indexes);
        Assert.Equal(PolicySet.Inherit, t.Policies);
        Assert.All(t.Columns, c => Assert.Equal(PolicySet.Inherit, c.Policies));
        Assert.All(t.Columns, c => Assert.False(MappingPolicies.IsNullable(Seed, t, c)));
        string rebuilt = string.Join('.', t.PathSegments.Select(s => s.IsArray ? s.Name + "[]" : s.Name));
        Assert.Equal(path ?? "", rebuilt);
    }

    [Fact]
    public void Nested_array_path_is_two_array_segments()
    {
        TableMapping t = Seed.Tables.Single(x => x.Name == "attachments");
        Assert.Equal([new PathSegment("messages", true), new PathSegment("attachments", true)], t.PathSegments);
        TableMapping education = Seed.Tables.Single(x => x.Name == "education");
        Assert.Equal([new PathSegment("profile", false), new PathSegment("education", true)], education.PathSegments);
    }

    [Fact]
    public void Child_ids_are_root_id_times_ten_thousand_plus_ordinal()
    {
        foreach (string name in (string[])["education", "experience", "settings", "activity_log", "transactions", "attachments", "posts"])
        {
            ColumnMapping id = Seed.Tables.Single(x => x.Name == name).Columns[0];
            Assert.Equal("id", id.Name);
            Assert.Equal(PgType.BigInt, id.Type);
            Assert.Equal("$root._id * 10000 + $ordinal", id.From);
            Assert.Null(id.Source.Single);
            Assert.Equal(2, id.Source.Terms.Count);
            SourceTerm first = id.Source.Terms[0];
            Assert.Equal(new SourceRef(SourceKind.Field, SourceScope.Root, ["_id"]).ToString(), first.Ref!.ToString());
            Assert.Equal(SourceScope.Root, first.Ref.Scope);
            Assert.Equal(["_id"], first.Ref.Path);
            Assert.Equal(10000, first.Factor);
            Assert.Equal(0, first.Constant);
            SourceTerm second = id.Source.Terms[1];
            Assert.Equal(SourceKind.Ordinal, second.Ref!.Kind);
            Assert.Equal(1, second.Factor);
        }
    }

    [Fact]
    public void Plain_references_are_single_terms()
    {
        TableMapping users = Seed.Tables[0];
        ColumnMapping id = users.Columns[0];
        Assert.Equal(SourceKind.Field, id.Source.Single!.Kind);
        Assert.Equal(SourceScope.Current, id.Source.Single.Scope);
        Assert.Equal(["_id"], id.Source.Single.Path);
        Assert.Equal("firstName", users.Columns.Single(c => c.Name == "first_name").Source.Single!.Path[0]);
        Assert.Equal(PgType.Integer, users.Columns.Single(c => c.Name == "age").Type);
        Assert.Equal(PgType.TimestampTz, users.Columns.Single(c => c.Name == "created_at").Type);

        ColumnMapping messageId = Seed.Tables.Single(x => x.Name == "attachments").Columns.Single(c => c.Name == "message_id");
        Assert.Equal(SourceScope.Parent, messageId.Source.Single!.Scope);
        Assert.Equal(["id"], messageId.Source.Single.Path);
        Assert.Equal(PgType.Text, messageId.Type);
        Assert.Equal(new ForeignKeyMapping("messages", "id"), messageId.References);

        ColumnMapping coordinates = Seed.Tables.Single(x => x.Name == "addresses").Columns.Single(c => c.Name == "coordinates");
        Assert.Equal(PgType.Jsonb, coordinates.Type);
        Assert.Equal("coordinates", coordinates.Source.Single!.ToString());
    }

    [Fact]
    public void Foreign_keys_point_at_earlier_tables()
    {
        var seen = new HashSet<string>();
        int count = 0;
        foreach (TableMapping t in Seed.Tables)
        {
            foreach (ColumnMapping c in t.Columns)
            {
                if (c.References is { } fk)
                {
                    Assert.Contains(fk.Table, seen);
                    Assert.Equal("id", fk.Column);
                    count++;
                }
            }
            seen.Add(t.Name);
        }
        Assert.Equal(14, count);
        Assert.Equal(new ForeignKeyMapping("social_media", "id"), Seed.Tables.Single(x => x.Name == "groups").Columns[1].References);
    }

    [Fact]
    public void Lines_point_at_the_table_and_column_objects()
    {
        string[] lines = File.ReadAllLines(Path.Combine(MappingTestKit.RepoRoot(), "examples", "seed-users.json"));
        foreach (TableMapping t in Seed.Tables)
        {
            Assert.Equal("{", lines[t.Line - 1].Trim());
            Assert.Contains($"\"name\": \"{t.Name}\"", lines[t.Line], StringComparison.Ordinal);
            foreach (ColumnMapping c in t.Columns)
            {
                Assert.Contains($"\"name\": \"{c.Name}\"", lines[c.Line - 1], StringComparison.Ordinal);
            }
        }
    }
}
