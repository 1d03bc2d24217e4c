using System.Text;
using EtlFast.Core.Sources;

namespace EtlFast.Cli.Commands;

/// <summary>
/// A MongoDB URI and its password kept off the command line (where every local user reads them in
/// /proc/PID/cmdline): <c>--config FILE</c>, spelled as mongodump's (a YAML file with <c>uri:</c> and/or
/// <c>password:</c>), and the <c>ETLFAST_FROM</c> variable, the default of --from. Shared by load,
/// verify and infer. The password is put into the URI's user info, the rest of the URI (TLS and
/// every other option) is passed on byte for byte; the URI is then handled, and never printed with
/// its password, as a --from URI is.
/// </summary>
/// <remarks>
/// ETLFAST_FROM rather than MONGODB_URI: a variable of that common name, set for some other program,
/// must not silently redirect a load; and as the default of --from it may name any source, as PGHOST
/// names the default of host for libpq.
/// </remarks>
internal static class SourceSecrets
{
    public const string Variable = "ETLFAST_FROM";

    /// <summary>Help lines for --config and the variable (load, verify and infer).</summary>
    public const string Help = """
          --config FILE          as mongodump's --config: a YAML file with "uri: mongodb://..." (the
                                 source, instead of --from) and/or "password: ..." (the password of the
                                 URI's user, which then names only the user: mongodb://USER@host/...),
                                 so neither is on the command line, where every local user can read it.
                                 Keep it mode 0600: a file others can read is warned about
          ETLFAST_FROM           environment: the source when neither --from nor --config's uri names
                                 one; a mongodb:// URI here stays out of the command line too
        """;

    /// <summary>The source to read: --from, else the config's uri, else ETLFAST_FROM; with the config's password in it. Null when none names one.</summary>
    public static string? Resolve(string? from, string? configPath, CliContext ctx)
    {
        (string? uri, string? password) = configPath is null ? (null, null) : Read(configPath, ctx);
        if (from is not null && uri is not null)
        {
            throw new UsageException($"--from and the uri in --config \"{configPath}\" both name the source", "give it once: drop --from, or the uri line");
        }
        string? source = from ?? uri ?? (ctx.GetEnv(Variable) is { Length: > 0 } env ? env : null);
        if (password is null || source is null)
        {
            return source;
        }
        if (!MongoSource.IsMongoUri(source))
        {
            throw new UsageException($"the password in --config \"{configPath}\" is for a MongoDB source, but the source is not a mongodb:// URI");
        }
        return WithPassword(source, password, configPath!);
    }

    /// <summary>mongodb://USER@hosts/... with the password inserted after USER, percent-encoded; nothing else of the URI changes.</summary>
    internal static string WithPassword(string uri, string password, string configPath)
    {
        int start = uri.IndexOf("://", StringComparison.Ordinal) + 3;
        int end = uri.IndexOfAny(['/', '?'], start);
        string authority = end < 0 ? uri[start..] : uri[start..end];
        int at = authority.LastIndexOf('@');
        if (at < 0)
        {
            throw new UsageException($"the password in --config \"{configPath}\" needs a user name in the URI",
                "write mongodb://USER@host/... (the user only: the password comes from the file)");
        }
        if (authority.AsSpan(0, at).Contains(':'))
        {
            throw new UsageException($"the URI holds a password and --config \"{configPath}\" gives another",
                "keep the password in one place: the file, with only the user in the URI");
        }
        return string.Concat(uri.AsSpan(0, start + at), ":", Uri.EscapeDataString(password), uri.AsSpan(start + at));
    }

    /// <summary>The flat YAML of mongodump's --config: <c>key: value</c> lines, # comments, values plain or quoted.</summary>
    private static (string? Uri, string? Password) Read(string path, CliContext ctx)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--config \"{path}\" cannot be read: {e.Message}");
        }
        WarnIfShared(path, ctx);
        string? uri = null, password = null;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#' || line == "---")
            {
                continue;
            }
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new UsageException($"--config \"{path}\", line {i + 1}: expected \"key: value\"", "write uri: mongodb://... and/or password: ...");
            }
            string key = line[..colon].Trim();
            string value = Value(line[(colon + 1)..].Trim(), path, i + 1);
            switch (key)
            {
                case "uri" when uri is null:
                    uri = value;
                    break;
                case "password" when password is null:
                    password = value;
                    break;
                case "uri" or "password":
                    throw new UsageException($"--config \"{path}\", line {i + 1}: \"{key}\" is given twice");
                default:
                    throw new UsageException($"--config \"{path}\", line {i + 1}: unknown key \"{key}\"",
                        "etlfast reads only \"uri\" and \"password\" from it (mongodump's sslPEMKeyPassword has no use here: give TLS options in the URI)");
            }
            if (value.Length == 0)
            {
                throw new UsageException($"--config \"{path}\", line {i + 1}: \"{key}\" is empty");
            }
        }
        if (uri is not null && !MongoSource.IsMongoUri(uri))
        {
            throw new UsageException($"--config \"{path}\": the uri must be a mongodb:// or mongodb+srv:// URI");
        }
        return (uri, password);
    }

    /// <summary>A YAML scalar: 'single' ('' for '), "double" (backslash escapes), or plain (up to a " #" comment).</summary>
    private static string Value(string text, string path, int line)
    {
        if (text.Length > 0 && text[0] is '\'' or '"')
        {
            char quote = text[0];
            var value = new StringBuilder();
            for (int i = 1; i < text.Length; i++)
            {
                char c = text[i];
                if (c == quote && quote == '\'' && i + 1 < text.Length && text[i + 1] == '\'')
                {
                    value.Append('\'');
                    i++;
                }
                else if (c == quote)
                {
                    string rest = text[(i + 1)..].Trim();
                    if (rest.Length > 0 && rest[0] != '#')
                    {
                        break;
                    }
                    return value.ToString();
                }
                else if (c == '\\' && quote == '"' && i + 1 < text.Length)
                {
                    char e = text[++i];
                    value.Append(e switch { 'n' => '\n', 't' => '\t', _ => e });
                }
                else
                {
                    value.Append(c);
                }
            }
            throw new UsageException($"--config \"{path}\", line {line}: a quoted value does not end with its quote");
        }
        int comment = text.IndexOf(" #", StringComparison.Ordinal);
        return (comment >= 0 ? text[..comment] : text).Trim();
    }

    private static void WarnIfShared(string path, CliContext ctx)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        UnixFileMode mode = File.GetUnixFileMode(path);
        const UnixFileMode Shared = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        if ((mode & Shared) != 0)
        {
            ctx.Err.WriteLine($"etlfast: warning: --config \"{path}\" can be read or written by other users (mode {Convert.ToString((int)mode & 0x1FF, 8)}): chmod 600 it");
        }
    }
}
