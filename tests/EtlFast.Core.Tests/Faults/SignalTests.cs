using System.Globalization;
using System.Text.RegularExpressions;
using EtlFast.Core.Tests.TestSupport;
using Npgsql;

namespace EtlFast.Core.Tests.Faults;

/// <summary>
/// SIGTERM (an orchestrator stopping the job) and SIGINT (Ctrl-C) sent to the real process mid-load:
/// it must stop with 143 / 130, say on stderr what it committed (matching the checkpoints) and how to
/// resume, leave only whole chunks, and --resume must then complete the load exactly.
/// </summary>
public sealed partial class SignalTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(180);
    private readonly FaultScope _scope = new();

    public void Dispose() => _scope.Dispose();

    [Theory]
    [InlineData(PosixSignals.SIGTERM, 143)]
    [InlineData(PosixSignals.SIGINT, 130)]
    public void A_signal_mid_load_stops_cleanly_and_resume_completes_exactly(int signal, int expectedExit)
    {
        FaultSeed data = FaultSeed.Get();
        string reference = data.ReferenceSchema;
        string schema = _scope.NewSchema(signal == PosixSignals.SIGTERM ? "sigterm" : "sigint");
        string app = FaultScope.NewAppName("signal");
        string err;
        using (CheckpointHold hold = CheckpointHold.From(data.RunId(schema), 2))
        using (EtlfastProcess p = EtlfastProcess.Start(data.ProcessArgs(schema, app)))
        {
            // Two chunks committed, the next two held at their checkpoints: the signal comes mid-load.
            hold.WaitUntilHeld(p, schema, app, 2, Bounded);
            p.Signal(signal);
            // The chunks in flight may finish once it is heard; how many then commit, stderr must say.
            Assert.True(p.WaitForErr("received: stopping", Bounded), $"the signal was not acknowledged\n{p}");
            hold.Release();
            int exit = p.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.True(exit == expectedExit, $"expected exit {expectedExit}\n{p}");
            err = p.Err;
            Assert.Contains("--resume", err);
            Assert.True(p.Out.Length == 0 || !p.Out.Contains("error", StringComparison.Ordinal), $"errors belong on stderr\n{p}");
        }
        Backends.WaitUntilGone(app, TimeSpan.FromSeconds(30));

        using NpgsqlConnection conn = TestPg.Open();
        CheckpointState state = CheckpointState.Of(conn, schema);
        Assert.True(state.Exists && !state.Finished && state.Chunks >= 2 && state.Chunks < data.Chunks, $"checkpoints after the signal: {state}");
        SchemaCompare.HoldsOnlyCommittedChunks(conn, schema, state, "users");

        // What stderr says was committed is what the target holds.
        Match m = Committed().Match(err);
        Assert.True(m.Success, $"stderr does not say what was committed:\n{err}");
        Assert.Equal(state.Chunks, Number(m.Groups[1].Value));
        Assert.Equal(state.Documents, Number(m.Groups[2].Value));
        Assert.Equal(state.Rows, Number(m.Groups[3].Value));

        CliResult r = data.LoadInProcess(schema, "--resume").Ok();
        Assert.Contains($"resuming: {state.Chunks:N0} chunks", r.Err);
        SchemaCompare.Equal(conn, reference, schema);
        Assert.True(CheckpointState.Of(conn, schema).Finished, "the resumed run is not marked finished");
    }

    private static long Number(string text) => long.Parse(text.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"committed before stopping: ([\d,]+) chunks, ([\d,]+) documents, ([\d,]+) rows")]
    private static partial Regex Committed();
}
