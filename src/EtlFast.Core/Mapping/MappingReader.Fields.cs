namespace EtlFast.Core.Mapping;

/// <summary>Typed access to the keys of one JSON object, each mistake reported at its own line.</summary>
internal sealed partial class MappingReader
{
    private static readonly string[] PolicyKeys = ["onMissing", "onNull", "onTypeMismatch"];

    private void CheckKeys(MappingNode obj, string where, string[] allowed)
    {
        foreach (MappingMember m in obj.Members)
        {
            if (Array.IndexOf(allowed, m.Key) < 0)
            {
                Fail(m.KeyLine, $"unknown key \"{m.Key}\" in {where}{Suggestions.DidYouMean(m.Key, allowed)}; the keys allowed here are {string.Join(", ", allowed)}");
            }
        }
    }

    private MappingNode Require(MappingNode obj, string key, string where, string example)
    {
        MappingNode? v = obj.Get(key);
        if (v is null)
        {
            Fail(obj.Line, $"{where} has no \"{key}\"; add it, e.g. {example}");
        }
        return v;
    }

    private string RequireString(MappingNode obj, string key, string where, string example)
    {
        MappingNode v = Require(obj, key, where, example);
        return StringValue(v, key);
    }

    private string? OptionalString(MappingNode obj, string key)
        => obj.Get(key) is { } v ? StringValue(v, key) : null;

    private string StringValue(MappingNode v, string key)
    {
        if (v.Kind != MappingNodeKind.String)
        {
            Fail(v.Line, $"\"{key}\" must be a string, not {v.Describe()}; put the value in double quotes");
        }
        return v.Text!;
    }

    private bool? OptionalBool(MappingNode obj, string key)
    {
        MappingNode? v = obj.Get(key);
        if (v is null)
        {
            return null;
        }
        if (v.Kind is not (MappingNodeKind.True or MappingNodeKind.False))
        {
            Fail(v.Line, $"\"{key}\" must be true or false, not {v.Describe()}");
        }
        return v.Kind == MappingNodeKind.True;
    }

    private MappingNode? OptionalContainer(MappingNode obj, string key, MappingNodeKind kind, string example)
    {
        MappingNode? v = obj.Get(key);
        if (v is not null && v.Kind != kind)
        {
            Fail(v.Line, $"\"{key}\" must be {(kind == MappingNodeKind.Array ? "an array" : "an object")}, not {v.Describe()}; write e.g. {example}");
        }
        return v;
    }

    /// <summary>A non-empty array of strings (column lists).</summary>
    private List<(string Name, int Line)> StringList(MappingNode array, string key, string example)
    {
        var names = new List<(string, int)>(array.Items.Count);
        foreach (MappingNode item in array.Items)
        {
            if (item.Kind != MappingNodeKind.String)
            {
                Fail(item.Line, $"\"{key}\" must list column names as strings, not {item.Describe()}; write e.g. {example}");
            }
            names.Add((item.Text!, item.Line));
        }
        return names;
    }

    private PolicySet ReadPolicies(MappingNode obj)
        => new(ReadPolicy(obj, "onMissing"), ReadPolicy(obj, "onNull"), ReadPolicy(obj, "onTypeMismatch"));

    private ValuePolicy? ReadPolicy(MappingNode obj, string key)
    {
        MappingNode? v = obj.Get(key);
        if (v is null)
        {
            return null;
        }
        string s = StringValue(v, key);
        switch (s.ToLowerInvariant())
        {
            case "error": return ValuePolicy.Error;
            case "null": return ValuePolicy.Null;
            case "default": return ValuePolicy.Default;
            case "reject": return ValuePolicy.Reject;
        }
        string[] names = ["error", "null", "default", "reject"];
        Fail(v.Line, $"\"{key}\" is \"{s}\"{Suggestions.DidYouMean(s, names)}; it must be one of \"error\" (stop the load), \"null\" (store NULL), \"default\" (store the column's default) or \"reject\" (skip the document)");
        return null;
    }

    private static string PolicyName(ValuePolicy p) => p switch
    {
        ValuePolicy.Error => "error",
        ValuePolicy.Null => "null",
        ValuePolicy.Default => "default",
        _ => "reject",
    };
}
