using System.Globalization;

namespace EtlFast.Cli;

/// <summary>A command-line usage error; the command prints it with its usage line and exits 2.</summary>
public sealed class UsageException(string message, string? hint = null) : Exception(message)
{
    public string? Hint { get; } = hint;
}

/// <summary>
/// Walks raw arguments: long flags (<c>--jobs 4</c>, <c>--jobs=4</c>), short flags (<c>-j 4</c>,
/// <c>-j4</c>), and positionals. Commands pull what they know, then call <see cref="EnsureDone"/>.
/// </summary>
public sealed class ArgReader
{
    private readonly string[] _args;
    private int _pos;
    private string? _pendingValue;

    public ArgReader(string[] args, int start = 0)
    {
        _args = args;
        _pos = start;
    }

    public bool AtEnd => _pos >= _args.Length;

    /// <summary>The current raw token.</summary>
    public string Current => _args[_pos];

    /// <summary>
    /// Reads the next token. Returns the flag name (e.g. "--jobs" or "-j"), or null for a positional
    /// (then <paramref name="positional"/> holds it). "--" ends flags.
    /// </summary>
    public string? Next(out string? positional)
    {
        if (_pendingValue is not null)
        {
            throw new UsageException($"unexpected value \"{_pendingValue}\"");
        }
        string token = _args[_pos++];
        positional = null;
        if (token == "--")
        {
            positional = _pos < _args.Length ? _args[_pos++] : null;
            return null;
        }
        if (token.StartsWith("--", StringComparison.Ordinal) && token.Length > 2)
        {
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                _pendingValue = token[(eq + 1)..];
                return token[..eq];
            }
            return token;
        }
        if (token.Length > 1 && token[0] == '-' && !char.IsDigit(token[1]))
        {
            if (token.Length > 2)
            {
                _pendingValue = token[2..];
                return token[..2];
            }
            return token;
        }
        positional = token;
        return null;
    }

    /// <summary>The value of the flag just read.</summary>
    public string Value(string flag)
    {
        if (_pendingValue is not null)
        {
            string v = _pendingValue;
            _pendingValue = null;
            return v;
        }
        if (_pos >= _args.Length)
        {
            throw new UsageException($"{flag} needs a value");
        }
        return _args[_pos++];
    }

    public int IntValue(string flag, int min, int max)
    {
        string raw = Value(flag);
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
        {
            throw new UsageException($"{flag} takes a whole number from {min} to {max}, not \"{raw}\"");
        }
        return v;
    }

    public long LongValue(string flag, long min, long max)
    {
        string raw = Value(flag).Replace("_", "", StringComparison.Ordinal);
        if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) || v < min || v > max)
        {
            throw new UsageException($"{flag} takes a whole number from {min} to {max}, not \"{raw}\"");
        }
        return v;
    }

    /// <summary>A number of seconds, decimals allowed (<c>0.2</c>).</summary>
    public double SecondsValue(string flag, double min, double max)
    {
        string raw = Value(flag);
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v >= min && v <= max))
        {
            throw new UsageException($"{flag} takes a number of seconds from {min} to {max}, not \"{raw}\"");
        }
        return v;
    }

    /// <summary>For a flag without a value: refuses "--quiet=yes".</summary>
    public void NoValue(string flag)
    {
        if (_pendingValue is not null)
        {
            throw new UsageException($"{flag} takes no value");
        }
    }

    public static UsageException Unknown(string flag, string command) =>
        new($"unknown option \"{flag}\" for \"etlfast {command}\"", $"run \"etlfast {command} --help\" to see its options");
}
