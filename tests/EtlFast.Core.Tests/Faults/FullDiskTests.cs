using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// Runs where a tmpfs can be mounted (root) and, with <paramref name="localServer"/>, where the test
/// server is the local throwaway one of scripts/pg-shell.sh (its tablespaces are directories here).
/// Skipped elsewhere, except in CI (CI is set), where it runs and fails loudly: CI runs as root.
/// </summary>
public sealed class MountFactAttribute : FactAttribute
{
    public MountFactAttribute(bool localServer = false)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            return;
        }
        if (Tmpfs.CannotMount() is { } why)
        {
            Skip = why;
        }
        else if (localServer && ServerRestartTests.DataDir is null)
        {
            Skip = "needs the local throwaway server of scripts/pg-shell.sh (PG_SCRATCH) to put a tablespace on a tmpfs";
        }
    }
}

/// <summary>
/// A disk that fills up during a load: PostgreSQL's (a tablespace on a small tmpfs: SQLSTATE 53100)
/// and the reject directory's. The load stops with exit 4 and a message that says what is full and
/// what to do; only whole chunks are in the tables, every reject is in etlfast.rejects; once there is
/// room again, --resume finishes to the tables (and reject files) of a clean load.
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(90);
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    private static int Run(string[] args, out EtlfastProcess process)
    {
        process = EtlfastProcess.Start(args);
        return process.WaitForExit(Bounded);
    }

    [MountFact(localServer: true)]
    public void PostgreSQL_out_of_disk_is_exit_4_with_whole_chunks_then_resume_finishes()
    {
        Assert.True(ServerRestartTests.DataDir is not null, "the test server is not the local one of scripts/pg-shell.sh (PG_SCRATCH): its tablespace cannot be put on a tmpfs here");
        FaultSeed data = FaultSeed.Get(800);
        string reference = data.ReferenceSchema; // also creates the checkpoint tables, in the default tablespace
        string schema = _scope.NewSchema("diskfull");
        string tablespace = "t_full_" + Guid.NewGuid().ToString("N")[..12];
        long dataBytes;
        using (NpgsqlConnection conn = TestPg.Open())
        {
            dataBytes = (long)TestPg.Scalar(conn,
                "SELECT sum(pg_table_size(c.oid))::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'", reference)!;
        }
        using Tmpfs disk = Tmpfs.Mount(dataBytes * 3, owner: "postgres"); // room for the rows, the keys, and the rows of chunks rolled back
        try
        {
            using (NpgsqlConnection conn = TestPg.Open())
            {
                TestPg.Execute(conn, $"CREATE TABLESPACE {TestPg.Quote(tablespace)} LOCATION '{disk.Path}'");
            }
            // Room for about half of the rows: the load fails in its middle, never at its first chunk.
            string filler = disk.Fill(leave: dataBytes / 2);
            // The mapping names no tablespace: the loader's own sessions get it as their default.
            string to = new NpgsqlConnectionStringBuilder(TestPg.ConnectionString) { Options = $"-c default_tablespace={tablespace}" }.ConnectionString;
            string[] args = ["load", "--from", data.BsonPath, "-m", FaultSeed.Mapping, "--to", to, "--schema", schema, .. FaultSeed.LoadFlags];

            int exit = Run(args, out EtlfastProcess p);
            using (p)
            {
                Assert.True(exit == 4, $"expected exit 4 (data/failure)\n{p}");
                foreach (string phrase in (string[])["is out of disk space", "--resume"])
                {
                    Assert.True(p.Err.Contains(phrase, StringComparison.Ordinal), $"expected \"{phrase}\" in the message\n{p}");
                }
                // PostgreSQL words 53100 by where it ran out: "No space left on device" from write(), or
                // "could not extend file ...: wrote only 4096 of 8192 bytes" when the last page half fit.
                Assert.True(p.Err.Contains("No space left on device", StringComparison.Ordinal) || p.Err.Contains("wrote only", StringComparison.Ordinal),
                    $"expected PostgreSQL's own words for the full disk\n{p}");
            }
            using (NpgsqlConnection conn = TestPg.Open())
            {
                Assert.Equal(tablespace, (string?)TestPg.Scalar(conn,
                    "SELECT t.spcname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_tablespace t ON t.oid = c.reltablespace WHERE n.nspname = $1 AND c.relname = 'users'", schema));
                CheckpointState state = CheckpointState.Of(conn, schema);
                Assert.True(!state.Finished && state.Chunks < data.Chunks, $"checkpoints: {state}");
                SchemaCompare.HoldsOnlyCommittedChunks(conn, schema, state, "users");
            }

            File.Delete(filler);
            int again = Run([.. args, "--resume"], out EtlfastProcess q);
            using (q)
            {
                Assert.True(again == 0, $"--resume with room again should finish the load\n{q}");
            }
            using (NpgsqlConnection conn = TestPg.Open())
            {
                SchemaCompare.Equal(conn, reference, schema);
                Assert.True(CheckpointState.Of(conn, schema).Finished, "the run is not marked finished");
            }
        }
        finally
        {
            FaultScope.DropWithRuns(schema); // before the tablespace it lives in
            using NpgsqlConnection conn = TestPg.Open();
            TestPg.Execute(conn, $"DROP TABLESPACE IF EXISTS {TestPg.Quote(tablespace)}");
        }
    }

    [MountFact]
    public void A_full_reject_directory_is_exit_4_losing_no_reject_then_resume_writes_them_all()
    {
        RejectSeed data = RejectSeed.Write(_scope.Dir);
        string schema = _scope.NewSchema("rejfull");
        using Tmpfs disk = Tmpfs.Mount(1024 * 1024);
        // Room for a handful of the 40 rejected documents (about 5.5 kB each) and their log lines.
        string filler = disk.Fill(leave: 48 * 1024);
        string[] args = data.ProcessArgs(schema, FaultScope.NewAppName("rejfull"), disk.Path);

        int exit = Run(args, out EtlfastProcess p);
        using (p)
        {
            Assert.True(exit == 4, $"expected exit 4 (data/failure)\n{p}");
            Assert.Contains($"could not write the reject file {Path.Combine(disk.Path, "users.rejects.bson")}", p.Err);
            Assert.Contains("etlfast.rejects", p.Err);
            Assert.Contains("--resume", p.Err);
        }
        using (NpgsqlConnection conn = TestPg.Open())
        {
            CheckpointState state = CheckpointState.Of(conn, schema);
            Assert.True(!state.Finished && state.Chunks > 0, $"checkpoints: {state}");
            SchemaCompare.HoldsOnlyCommittedChunks(conn, schema, state, "users");
        }

        File.Delete(filler);
        int again = Run([.. args, "--resume"], out EtlfastProcess q);
        using (q)
        {
            Assert.True(again == 1, $"--resume with room again should finish the load, with rejects (exit 1)\n{q}");
        }
        data.AssertOutcome(disk.Path, schema); // each rejected document in the files once, none missing
    }
}
