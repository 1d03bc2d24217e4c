using EtlFast.Core.Tests.TestSupport;

namespace EtlFast.Core.Tests.Archive;

/// <summary>The help of load and infer shows archive examples that work (the piped one is run by ArchiveLoadTests' stdin case), not the old "mongodump --archive ... |" that failed.</summary>
public sealed class ArchiveHelpTests
{
    [Theory]
    [InlineData("load", "mongodump --archive --db=app | etlfast load --from - -m users.json")]
    [InlineData("infer", "mongodump --archive --db=app | etlfast infer --from - -c users > users.json")]
    public void Help_shows_a_working_archive_pipe_and_names_archives_as_a_source(string command, string example)
    {
        CliResult r = Etlfast.Run([command, "--help"]).Ok();
        Assert.Contains(example, r.Out, StringComparison.Ordinal);
        Assert.Contains("mongodump --archive file (plain or", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("mongodump --archive ...", r.Out, StringComparison.Ordinal);
    }
}
