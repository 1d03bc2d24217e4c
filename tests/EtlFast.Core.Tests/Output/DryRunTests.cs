using EtlFast.Core.Tests.Faults;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Output;

/// <summary>
/// <c>load --dry-run</c> prints the plan with the DDL as it would run, and writes nothing: no schema, no
/// table, no checkpoint row, not even in --mode clean over loaded tables.
/// </summary>
public sealed class DryRunTests : IDisposable
{
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    private const string Hostile = "x\"; drop table things; --";

    /// <summary>The things mapping with a table and a column renamed to break SQL pasted as text.</summary>
    private string HostileMapping() => _scope.Dir.Write("hostile.json", ThingsData.MappingJson
        .Replace("\"name\": \"things\"", "\"name\": \"x\\\"; drop table things; --\"", StringComparison.Ordinal)
        .Replace("\"things.id\"", "\"x\\\"; drop table things; --.id\"", StringComparison.Ordinal)
        .Replace("\"name\": \"qty\"", "\"name\": \"q'ty \\\"n\\\"\"", StringComparison.Ordinal));

    private string File(int count)
    {
        var file = new ThingsFile();
        for (int i = 1; i <= count; i++)
        {
            file.AddGood(i);
        }
        return file.Write(_scope.Dir);
    }

    [Fact]
    public void Prints_the_quoted_DDL_and_the_waves_and_writes_nothing()
    {
        string schema = _scope.NewSchema("dry");
        CliResult r = Etlfast.Load(File(10), HostileMapping(), schema, "--dry-run", "-j", "2").Ok();

        string s = TestPg.Quote(schema);
        string parent = $"{s}.\"x\"\"; drop table things; --\"";
        Assert.Contains($"CREATE SCHEMA IF NOT EXISTS {s};", r.Out, StringComparison.Ordinal);
        Assert.Contains($"CREATE TABLE {parent} (\n       \"id\" bigint NOT NULL,\n       \"name\" text NOT NULL,\n       \"q'ty \"\"n\"\"\" integer NOT NULL,", r.Out, StringComparison.Ordinal);
        Assert.Contains($"CREATE TABLE {s}.\"tags\" (", r.Out, StringComparison.Ordinal);
        // Keys after the data (the default for create): primary keys, then the foreign key, in this order.
        int pk = r.Out.IndexOf($"ALTER TABLE {parent} ADD PRIMARY KEY (\"id\");", StringComparison.Ordinal);
        int fk = r.Out.IndexOf($"ALTER TABLE {s}.\"tags\" ADD CONSTRAINT", StringComparison.Ordinal);
        Assert.True(pk > 0 && fk > pk, r.ToString());
        Assert.Contains($"REFERENCES {parent} (\"id\");", r.Out, StringComparison.Ordinal);
        Assert.Contains("checked read-only", r.Out, StringComparison.Ordinal);
        Assert.Contains("none of the 2 tables exists", r.Out, StringComparison.Ordinal);
        Assert.Contains("about 1 chunk of 4 MiB", r.Out, StringComparison.Ordinal);
        Assert.Contains("no earlier load of this source", r.Out, StringComparison.Ordinal);

        using NpgsqlConnection conn = TestPg.Open();
        Assert.Null(TestPg.Scalar(conn, "SELECT 1 FROM pg_namespace WHERE nspname = $1", schema));
        Assert.Equal(CheckpointState.None, CheckpointState.Of(conn, schema));
    }

    [Fact]
    public void Over_loaded_tables_says_what_each_mode_would_do_and_drops_nothing()
    {
        string schema = _scope.NewSchema("dry_loaded");
        string from = File(12);
        string mapping = ThingsFile.WriteMapping(_scope.Dir);
        Etlfast.Load(from, mapping, schema).Ok();

        CliResult create = Etlfast.Load(from, mapping, schema, "--dry-run").Ok();
        Assert.Contains("would be refused: 2 of the tables exist", create.Out, StringComparison.Ordinal);
        Assert.Contains("an earlier load of it finished", create.Out, StringComparison.Ordinal);

        CliResult clean = Etlfast.Load(from, mapping, schema, "--dry-run", "--mode", "clean", "--constraints", "before").Ok();
        Assert.Contains($"DROP TABLE IF EXISTS {TestPg.Qualify(schema, "tags")} CASCADE;", clean.Out, StringComparison.Ordinal);
        Assert.Contains("would drop 2 existing tables", clean.Out, StringComparison.Ordinal);
        Assert.Contains($"PRIMARY KEY (\"id\")\n     );", clean.Out, StringComparison.Ordinal); // keys inside CREATE TABLE with --constraints before

        CliResult resume = Etlfast.Load(from, mapping, schema, "--dry-run", "--resume").Ok();
        Assert.Contains("--resume has nothing to do: it exits 0", resume.Out, StringComparison.Ordinal);

        ThingsFile.AssertTables(schema, Enumerable.Range(1, 12).Select(i => ThingsData.Good(i)));
        CheckpointState state = CheckpointState.Of(schema);
        Assert.True(state.Finished && state.Documents == 12, state.ToString());
    }

    [Fact]
    public void Without_a_reachable_target_prints_the_plan_and_says_it_was_not_checked()
    {
        CliResult r = Etlfast.Run(["load", "--dry-run", "--from", File(3), "-m", ThingsFile.WriteMapping(_scope.Dir),
            "--to", "host=127.0.0.1 port=1 user=u password=Hidden-Pw-42 dbname=d"]).Ok();

        Assert.Contains("not checked: ", r.Out, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE \"public\".\"things\" (", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Hidden-Pw-42", r.Out + r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_source_is_still_a_usage_error()
    {
        Etlfast.Run(["load", "--dry-run", "--from", _scope.Dir.File("nowhere.bson"), "-m", ThingsFile.WriteMapping(_scope.Dir), "--to", TestPg.ConnectionString])
            .Fails(2, "does not exist");
    }

    [Fact]
    public void Load_help_documents_the_flags_for_scripts()
    {
        CliResult r = Etlfast.Run(["load", "--help"]).Ok();
        foreach (string flag in new[] { "--dry-run", "--progress HOW", "--progress-interval S", "--summary-json FILE" })
        {
            Assert.Contains(flag, r.Out, StringComparison.Ordinal);
        }
        Etlfast.Run(["load", "--progress", "loud"]).Fails(2, "--progress takes auto, plain, json or none");
    }
    [Fact]
    public void A_partition_names_its_share_and_its_own_reject_file()
    {
        string schema = _scope.NewSchema("dry_part");
        string rejects = _scope.Dir.File("rejects");
        Directory.CreateDirectory(rejects);
        CliResult r = Etlfast.Load(File(5), ThingsFile.WriteMapping(_scope.Dir), schema, "--dry-run",
            "--partition", "1/3", "--on-error", "reject", "--reject-dir", rejects).Ok();

        Assert.Contains("partition    1 of 3 (0-based): loads the chunks numbered 1 mod 3", r.Out, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(rejects, "things.part-1-of-3.rejects.bson"), r.Out, StringComparison.Ordinal);
        Assert.Contains("done by the first partition to start", r.Out, StringComparison.Ordinal);
        Assert.Contains("load about 0 of the 1 chunk (those numbered 1 mod 3)", r.Out, StringComparison.Ordinal);
        Assert.Contains("at a time, by the last partition to finish", r.Out, StringComparison.Ordinal);
        using NpgsqlConnection conn = TestPg.Open();
        Assert.Null(TestPg.Scalar(conn, "SELECT 1 FROM pg_namespace WHERE nspname = $1", schema));
    }

    /// <summary>The README's one-screen mapping is a mapping load accepts, with the tables and keys it describes.</summary>
    [Fact]
    public void The_readme_mapping_example_is_accepted()
    {
        string readme = System.IO.File.ReadAllText(RepoRoot.File("README.md"));
        int section = readme.IndexOf("## The mapping, in one screen", StringComparison.Ordinal);
        Assert.True(section > 0, "the README has no mapping section");
        int start = readme.IndexOf("```jsonc\n", section, StringComparison.Ordinal) + "```jsonc\n".Length;
        string mapping = _scope.Dir.Write("readme-orders.json", readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)]);
        string source = _scope.Dir.Write("orders.bson", "");

        CliResult r = Etlfast.Load(source, mapping, _scope.NewSchema("dry_readme"), "--dry-run").Ok();

        Assert.Contains("\"order_lines\": from lines[]; 3 columns; primary key (\"order_id\", \"line_no\"); \"order_id\" references \"orders\" (\"id\")", r.Out, StringComparison.Ordinal);
        Assert.Contains("\"price\" numeric(12,2) NOT NULL", r.Out, StringComparison.Ordinal);
    }
}
