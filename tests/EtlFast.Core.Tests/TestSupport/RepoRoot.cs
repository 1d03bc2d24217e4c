namespace EtlFast.Core.Tests.TestSupport;

/// <summary>The repository root: the first folder above the test binaries that holds EtlFast.sln.</summary>
internal static class RepoRoot
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path => Root.Value;

    /// <summary>A path inside the repository, e.g. <c>RepoRoot.File("examples", "seed-users.json")</c>.</summary>
    public static string File(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);

    private static string Find()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(d.FullName, "EtlFast.sln")))
            {
                return d.FullName;
            }
        }
        throw new InvalidOperationException($"no EtlFast.sln in any folder above {AppContext.BaseDirectory}");
    }
}
