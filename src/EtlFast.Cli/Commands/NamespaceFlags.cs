namespace EtlFast.Cli.Commands;

/// <summary>--nsInclude and --nsExclude (repeatable, as mongorestore spells them), for the commands that take a whole database.</summary>
internal sealed class NamespaceFlags
{
    public List<string> Include { get; } = [];

    public List<string> Exclude { get; } = [];

    /// <summary>Takes <paramref name="flag"/> when it is one of these; false otherwise.</summary>
    public bool TryTake(string flag, ArgReader reader)
    {
        switch (flag)
        {
            case "--nsInclude":
                Include.Add(reader.Value(flag));
                return true;
            case "--nsExclude":
                Exclude.Add(reader.Value(flag));
                return true;
            default:
                return false;
        }
    }
}
