namespace EtlFast.Core.Load;

/// <summary>
/// libpq's connection service file (pg_service.conf), which Npgsql does not read: the settings of a
/// service named by <c>service=NAME</c> in --to or by PGSERVICE, so that a password can live in a file
/// of mode 0600 instead of on the command line (where every local user reads /proc/PID/cmdline).
/// </summary>
/// <remarks>
/// The rules are libpq's (libpq docs, "The Connection Service File"): the user's file (PGSERVICEFILE,
/// else ~/.pg_service.conf) is searched first and, if it holds the service, the only one read; else
/// the system file PGSYSCONFDIR/pg_service.conf (Debian's libpq default directory:
/// /etc/postgresql-common). INI sections <c>[name]</c>, <c>keyword=value</c> lines, <c>#</c> comments;
/// a service naming another service is refused, as libpq refuses it.
/// </remarks>
internal static class PgService
{
    public const string SystemDirectory = "/etc/postgresql-common";

    /// <summary>The service's keyword=value pairs, in file order, with the file they came from; throws when it is defined nowhere.</summary>
    public static (List<KeyValuePair<string, string>> Settings, string File) Find(string name, Func<string, string?> env)
    {
        var searched = new List<string>();
        string? user = env("PGSERVICEFILE");
        if (string.IsNullOrEmpty(user) && env("HOME") is { Length: > 0 } home)
        {
            user = Path.Combine(home, ".pg_service.conf");
        }
        string system = Path.Combine(env("PGSYSCONFDIR") is { Length: > 0 } dir ? dir : SystemDirectory, "pg_service.conf");
        foreach (string? file in new[] { user, system })
        {
            if (string.IsNullOrEmpty(file))
            {
                continue;
            }
            searched.Add(file);
            if (File.Exists(file) && Read(file, name) is { } settings)
            {
                return (settings, file);
            }
        }
        throw new TargetException($"definition of service \"{name}\" not found",
            $"looked in {string.Join(" and ", searched)}; PGSERVICEFILE names the user's service file, PGSYSCONFDIR the directory of the system's pg_service.conf");
    }

    /// <summary>The settings of section [name] of the file, or null when it has no such section.</summary>
    private static List<KeyValuePair<string, string>>? Read(string file, string name)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TargetException($"service file \"{file}\" cannot be read: {e.Message}");
        }
        List<KeyValuePair<string, string>>? found = null;
        bool inside = false;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            if (line[0] == '[')
            {
                if (inside)
                {
                    break; // the section ended; libpq also takes the first section of that name
                }
                inside = line.EndsWith(']') && line[1..^1] == name;
                if (inside)
                {
                    found = [];
                }
                continue;
            }
            if (!inside)
            {
                continue;
            }
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new TargetException($"syntax error in service file \"{file}\", line {i + 1}: expected keyword=value");
            }
            string key = line[..eq].Trim();
            if (key == "service")
            {
                throw new TargetException($"nested service specifications not supported in service file \"{file}\", line {i + 1}");
            }
            found!.Add(new(key, line[(eq + 1)..].Trim()));
        }
        return found;
    }
}
