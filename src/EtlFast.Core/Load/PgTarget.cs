using Npgsql;

namespace EtlFast.Core.Load;

/// <summary>
/// Resolves <c>--to</c>: a <c>postgresql://</c> URI, a libpq keyword string (<c>host=.. dbname=..</c>),
/// an Npgsql string (<c>Host=..;Database=..</c>), or nothing (the PG* environment variables), each
/// completed from a libpq service (<c>service=NAME</c>, <c>?service=NAME</c> or PGSERVICE; see
/// <see cref="PgService"/>). As in libpq, what the string names wins over the service, and the service
/// over the environment. TLS options pass through untouched. <see cref="Display"/> never shows the
/// password; a password left out is looked up by Npgsql in the passfile (PGPASSFILE, else ~/.pgpass)
/// for the host, port, database and user resolved here.
/// </summary>
public sealed class PgTarget
{
    private PgTarget(NpgsqlConnectionStringBuilder builder)
    {
        Builder = builder;
    }

    public NpgsqlConnectionStringBuilder Builder { get; }

    public string ConnectionString => Builder.ConnectionString;

    /// <summary>"user@host:port/database", for messages.</summary>
    public string Display => $"{Builder.Username}@{Builder.Host}:{Builder.Port}/{Builder.Database}";

    public static PgTarget Parse(string? to, Func<string, string?> env)
    {
        var b = new NpgsqlConnectionStringBuilder();
        // Environment first, so that anything the string names wins.
        Set(b, "host", env("PGHOST"));
        Set(b, "port", env("PGPORT"));
        Set(b, "user", env("PGUSER"));
        Set(b, "password", env("PGPASSWORD"));
        Set(b, "dbname", env("PGDATABASE"));
        Set(b, "sslmode", env("PGSSLMODE"));
        Set(b, "sslrootcert", env("PGSSLROOTCERT"));
        Set(b, "sslcert", env("PGSSLCERT"));
        Set(b, "sslkey", env("PGSSLKEY"));
        Set(b, "application_name", env("PGAPPNAME"));
        Set(b, "connect_timeout", env("PGCONNECT_TIMEOUT"));
        Set(b, "passfile", env("PGPASSFILE"));

        // What the string names is parsed apart, so that the service can go between it and the environment.
        var given = new NpgsqlConnectionStringBuilder();
        string? service = null;
        string s = to?.Trim() ?? "";
        if (s.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            ParseUri(given, s, ref service);
        }
        else if (s.Contains(';', StringComparison.Ordinal))
        {
            NpgsqlConnectionStringBuilder npgsql;
            try
            {
                npgsql = new NpgsqlConnectionStringBuilder(s);
            }
            catch (ArgumentException e)
            {
                // Npgsql's message names the keyword, never the values; still, say nothing of the string itself.
                throw new TargetException($"invalid connection string: {e.Message.Split(" (Parameter", 2)[0]}",
                    "check the Npgsql keywords (Host, Port, Username, Password, Database, SSL Mode ...), or use a postgresql:// URI");
            }
            given = npgsql;
        }
        else if (s.Length > 0)
        {
            ParseKeywords(given, s, ref service);
        }
        service ??= env("PGSERVICE");
        if (!string.IsNullOrEmpty(service))
        {
            ApplyService(b, service, env);
        }
        foreach (string key in given.Keys)
        {
            if (given.TryGetValue(key, out object? v) && v is not null && given.ShouldSerialize(key))
            {
                b[key] = v;
            }
        }

        if (string.IsNullOrEmpty(b.Host))
        {
            b.Host = "localhost";
        }
        if (string.IsNullOrEmpty(b.Username))
        {
            b.Username = env("USER") ?? "postgres";
        }
        if (string.IsNullOrEmpty(b.Database))
        {
            b.Database = b.Username;
        }
        b.ApplicationName ??= "etlfast";
        b.Enlist = false;
        // Constraint errors then say which key ("Key (id)=(4) already exists"): the user's data, never credentials.
        b.IncludeErrorDetail = true;
        // Loads run long statements (COPY of a chunk, index builds): no command timeout.
        b.CommandTimeout = 0;
        return new PgTarget(b);
    }

    /// <summary>The service's settings over the environment's (the caller then puts the string's over both).</summary>
    private static void ApplyService(NpgsqlConnectionStringBuilder b, string name, Func<string, string?> env)
    {
        (List<KeyValuePair<string, string>> settings, string file) = PgService.Find(name, env);
        foreach ((string key, string value) in settings)
        {
            try
            {
                Set(b, key, value, strict: true);
            }
            catch (TargetException e)
            {
                throw new TargetException($"service \"{name}\" in \"{file}\": {e.Message}", e.Hint);
            }
        }
    }

    private static void ParseUri(NpgsqlConnectionStringBuilder b, string s, ref string? service)
    {
        int schemeEnd = s.IndexOf("://", StringComparison.Ordinal) + 3;
        string rest = s[schemeEnd..];
        string query = "";
        int q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }
        string path = "";
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            path = rest[(slash + 1)..];
            rest = rest[..slash];
        }
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            string userInfo = rest[..at];
            rest = rest[(at + 1)..];
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            Set(b, "user", Uri.UnescapeDataString(colon >= 0 ? userInfo[..colon] : userInfo));
            if (colon >= 0)
            {
                Set(b, "password", Uri.UnescapeDataString(userInfo[(colon + 1)..]));
            }
        }
        if (rest.Length > 0)
        {
            // host[:port][,host[:port]]... ; IPv6 in brackets
            var hosts = new List<string>();
            string? firstPort = null;
            foreach (string h in rest.Split(','))
            {
                string host = h;
                string? port = null;
                int close = h.LastIndexOf(']');
                int colon = h.LastIndexOf(':');
                if (colon > close)
                {
                    host = h[..colon];
                    port = h[(colon + 1)..];
                }
                host = Uri.UnescapeDataString(host.Trim('[', ']'));
                hosts.Add(port is null ? host : $"{host}:{port}");
                firstPort ??= port;
            }
            b.Host = hosts.Count == 1 && firstPort is not null ? hosts[0][..hosts[0].LastIndexOf(':')] : string.Join(',', hosts);
            if (hosts.Count == 1 && firstPort is not null)
            {
                Set(b, "port", firstPort);
            }
        }
        if (path.Length > 0)
        {
            Set(b, "dbname", Uri.UnescapeDataString(path));
        }
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string key = Uri.UnescapeDataString(eq >= 0 ? pair[..eq] : pair);
            string value = eq >= 0 ? Uri.UnescapeDataString(pair[(eq + 1)..]) : "";
            if (key == "service")
            {
                service = value;
                continue;
            }
            Set(b, key, value, strict: true);
        }
    }

    private static void ParseKeywords(NpgsqlConnectionStringBuilder b, string s, ref string? service)
    {
        int i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }
            if (i >= s.Length)
            {
                break;
            }
            int eq = s.IndexOf('=', i);
            if (eq < 0)
            {
                throw new TargetException($"connection string is missing \"=\" after \"{s[i..]}\"",
                    "write key=value pairs (host=... dbname=...), a postgresql:// URI, or leave --to out to use PGHOST and friends");
            }
            string key = s[i..eq].Trim();
            i = eq + 1;
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }
            var value = new System.Text.StringBuilder();
            if (i < s.Length && s[i] == '\'')
            {
                i++;
                while (i < s.Length && s[i] != '\'')
                {
                    if (s[i] == '\\' && i + 1 < s.Length)
                    {
                        i++;
                    }
                    value.Append(s[i++]);
                }
                i++;
            }
            else
            {
                while (i < s.Length && !char.IsWhiteSpace(s[i]))
                {
                    if (s[i] == '\\' && i + 1 < s.Length)
                    {
                        i++;
                    }
                    value.Append(s[i++]);
                }
            }
            if (key == "service")
            {
                service = value.ToString();
                continue;
            }
            Set(b, key, value.ToString(), strict: true);
        }
    }

    private static void Set(NpgsqlConnectionStringBuilder b, string key, string? value, bool strict = false)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }
        switch (key)
        {
            case "host" or "hostaddr":
                b.Host = value;
                break;
            case "port":
                if (!int.TryParse(value, out int port) || port is < 1 or > 65535)
                {
                    throw new TargetException($"port \"{value}\" is not a TCP port number");
                }
                b.Port = port;
                break;
            case "user":
                b.Username = value;
                break;
            case "password":
                b.Password = value;
                break;
            case "passfile":
                // libpq skips a passfile that does not exist; Npgsql would fail the connection on it.
                if (File.Exists(value))
                {
                    b.Passfile = value;
                }
                break;
            case "dbname":
                b.Database = value;
                break;
            case "sslmode":
                b.SslMode = value switch
                {
                    "disable" => SslMode.Disable,
                    "allow" => SslMode.Allow,
                    "prefer" => SslMode.Prefer,
                    "require" => SslMode.Require,
                    "verify-ca" => SslMode.VerifyCA,
                    "verify-full" => SslMode.VerifyFull,
                    _ => throw new TargetException($"sslmode \"{value}\" is not one of disable, allow, prefer, require, verify-ca, verify-full"),
                };
                break;
            case "sslrootcert":
                b.RootCertificate = value;
                break;
            case "sslcert":
                b.SslCertificate = value;
                break;
            case "sslkey":
                b.SslKey = value;
                break;
            case "sslpassword":
                b.SslPassword = value;
                break;
            case "application_name":
                b.ApplicationName = value;
                break;
            case "connect_timeout":
                b.Timeout = int.TryParse(value, out int t) ? Math.Clamp(t, 1, 1024) : throw new TargetException($"connect_timeout \"{value}\" is not a number of seconds");
                break;
            case "target_session_attrs":
                b.TargetSessionAttributes = value;
                break;
            case "options":
                b.Options = value;
                break;
            default:
                if (strict)
                {
                    throw new TargetException($"unknown connection parameter \"{key}\"",
                        "known: service, host, port, user, password, passfile, dbname, sslmode, sslrootcert, sslcert, sslkey, sslpassword, application_name, connect_timeout, target_session_attrs, options");
                }
                break;
        }
    }
}

/// <summary>The PostgreSQL target cannot be understood as given.</summary>
public sealed class TargetException(string message, string? hint = null) : Exception(message)
{
    public string? Hint { get; } = hint;
}
