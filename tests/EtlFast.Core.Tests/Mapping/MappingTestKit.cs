using System.Text;
using EtlFast.Core.Mapping;

namespace EtlFast.Core.Tests.Mapping;

/// <summary>Helpers: parse text, expect a failure, find the line a test marks with "// <-".</summary>
internal static class MappingTestKit
{
    public const string FileName = "test-mapping.json";

    public static MappingDocument Parse(string json) => MappingParser.Parse(Encoding.UTF8.GetBytes(json), FileName);

    /// <summary>
    /// Parses <paramref name="json"/>, which must fail on the line marked with a trailing <c>// &lt;-</c>
    /// comment, with a reason containing every phrase given.
    /// </summary>
    public static MappingException FailsAtMark(string json, params string[] phrases)
    {
        int marked = MarkedLine(json);
        return FailsAt(json, marked, phrases);
    }

    public static MappingException FailsAt(string json, int line, params string[] phrases)
    {
        MappingException e = Assert.Throws<MappingException>(() => Parse(json));
        Assert.Equal(FileName, e.FileName);
        foreach (string phrase in phrases)
        {
            Assert.Contains(phrase, e.Reason, StringComparison.Ordinal);
        }
        Assert.True(line == e.Line, $"expected line {line}, got {e.Line}: {e.Message}");
        Assert.StartsWith($"{FileName}:{line}: ", e.Message, StringComparison.Ordinal);
        return e;
    }

    public static int MarkedLine(string json)
    {
        string[] lines = json.Split('\n');
        int found = -1;
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Contains("// <-", StringComparison.Ordinal))
            {
                Assert.True(found < 0, "a test must mark exactly one line");
                found = i + 1;
            }
        }
        Assert.True(found > 0, "the test marks no line with // <-");
        return found;
    }

    /// <summary>The repository root: the first folder up from the test binaries that holds EtlFast.sln.</summary>
    public static string RepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "EtlFast.sln")))
            {
                return d.FullName;
            }
        }
        throw new InvalidOperationException($"no EtlFast.sln above {AppContext.BaseDirectory}");
    }
}
