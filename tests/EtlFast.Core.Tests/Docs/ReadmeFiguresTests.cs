using EtlFast.Core.Tests.TestSupport;

namespace EtlFast.Core.Tests.Docs;

/// <summary>
/// The README's performance tables are what <see cref="ReadmeFigures"/> renders from bench/results.
/// After committing a new result, <c>scripts/readme-figures.sh</c> rewrites them (this test with
/// ETLFAST_UPDATE_README=1); a hand edit, or a result committed without regenerating, fails here.
/// </summary>
public sealed class ReadmeFiguresTests
{
    [Fact]
    public void The_readme_performance_tables_are_generated_from_the_committed_results()
    {
        string path = RepoRoot.File("README.md");
        string readme = File.ReadAllText(path);
        int begin = readme.IndexOf(ReadmeFigures.Begin, StringComparison.Ordinal);
        int end = readme.IndexOf(ReadmeFigures.End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"README.md has no block between «{ReadmeFigures.Begin}» and «{ReadmeFigures.End}»");
        string current = readme[begin..(end + ReadmeFigures.End.Length)].ReplaceLineEndings("\n") + "\n";
        string generated = ReadmeFigures.Render(RepoRoot.File("bench", "results")).ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("ETLFAST_UPDATE_README") == "1")
        {
            File.WriteAllText(path, readme[..begin] + generated.TrimEnd('\n') + readme[(end + ReadmeFigures.End.Length)..]);
            return;
        }
        Assert.True(current == generated,
            $"README.md's performance tables differ from bench/results: run scripts/readme-figures.sh and commit README.md\n--- README ---\n{current}\n--- generated ---\n{generated}");
    }
}
