namespace EtlFast.Core.Mapping;

/// <summary>One entry of a table's "columns": name, type, source expression, nullability, default and policies.</summary>
internal sealed partial class MappingReader
{
    private static readonly string[] ColumnKeys = ["name", "type", "from", "nullable", "default", "references", "onMissing", "onNull", "onTypeMismatch"];

    private ColumnDraft ReadColumn(MappingNode node, TableScope table, List<ColumnDraft> earlier)
    {
        if (node.Kind != MappingNodeKind.Object)
        {
            Fail(node.Line, $"each entry of \"columns\" must be an object such as {{\"name\": \"email\", \"from\": \"email\"}}, not {node.Describe()}");
        }
        string where = node.Get("name") is { Kind: MappingNodeKind.String } n
            ? $"column \"{n.Text}\" of table \"{table.Name}\""
            : $"column #{earlier.Count + 1} of table \"{table.Name}\"";
        CheckKeys(node, where, ColumnKeys);

        string name = RequireString(node, "name", where, "\"name\": \"email\"");
        int nameLine = node.Get("name")!.Line;
        if (IdentifierRules.Check(name, "column name") is { } nameError)
        {
            Fail(nameLine, nameError);
        }
        foreach (ColumnDraft c in earlier)
        {
            if (c.Column.Name == name)
            {
                Fail(nameLine, $"table \"{table.Name}\" has two columns named \"{name}\" (the first at line {c.Column.Line}); rename one of them");
            }
        }

        PgType type = PgType.Text;
        string modifier = "";
        if (OptionalString(node, "type") is { } typeText
            && !PgTypeNames.TryParse(typeText, out type, out modifier, out string typeError))
        {
            Fail(node.Get("type")!.Line, typeError);
        }
        string sqlType = PgTypeNames.SqlName(type) + modifier;

        string from = RequireString(node, "from", where, "\"from\": \"email\"");
        int fromLine = node.Get("from")!.Line;
        if (!SourceExpressionParser.TryParse(from, out SourceExpression source, out string fromError))
        {
            Fail(fromLine, fromError);
        }
        CheckSource(source, from, fromLine, table, name, type, sqlType);

        bool? nullable = OptionalBool(node, "nullable");
        string? defaultJson = null;
        if (node.Get("default") is { } defaultNode)
        {
            defaultJson = defaultNode.ToJson();
            if (DefaultValueRules.Check(defaultNode, type, modifier) is { } defaultError)
            {
                Fail(defaultNode.Line, $"the default {Shorten(defaultJson)} does not fit column \"{name}\" of type {sqlType}: {defaultError}");
            }
        }

        ForeignKeyMapping? references = null;
        if (OptionalString(node, "references") is { } target)
        {
            references = SplitReference(target, node.Get("references")!.Line, table.Name);
        }

        var column = new ColumnMapping
        {
            Name = name,
            Type = type,
            TypeModifier = modifier,
            From = from,
            Source = source,
            Nullable = nullable,
            Policies = ReadPolicies(node),
            DefaultJson = defaultJson,
            References = references,
            Line = node.Line,
        };
        CheckPolicies(node, table, column);
        return new ColumnDraft(column, node);
    }

    /// <summary>Special references need the right kind of table, and arithmetic needs an integer column.</summary>
    private void CheckSource(SourceExpression source, string from, int line, TableScope table, string column, PgType type, string sqlType)
    {
        string rows = table.Path is null ? "the root document (it has no \"path\")" : $"\"{table.Path}\"";
        foreach (SourceTerm term in source.Terms)
        {
            if (term.Ref is not { } r)
            {
                continue;
            }
            switch (r.Kind)
            {
                case SourceKind.Ordinal or SourceKind.Index when !table.HasArray:
                    Fail(line, $"{r} counts array items, but table \"{table.Name}\" reads {rows}, which iterates no array; use it in a table whose path has \"[]\", e.g. \"messages[]\"");
                    break;
                case SourceKind.Value when table.Path is null:
                    Fail(line, $"$value is the row's own value, but table \"{table.Name}\" reads the root document (it has no \"path\"); name a field instead, e.g. \"from\": \"_id\"");
                    break;
                case SourceKind.Field when r.Scope == SourceScope.Parent && table.Path is null:
                    Fail(line, $"\"{r}\": table \"{table.Name}\" reads the root document, which has no parent; write the field path without \"$parent.\"");
                    break;
            }
        }
        switch (source.Single)
        {
            case { Kind: SourceKind.Field or SourceKind.Value }:
                return;
            case { } counter:
                // A bare counter may also be stored as its decimal text (e.g. to build a text key).
                if (!PgTypeNames.IsIntegerTarget(type) && type is not (PgType.Text or PgType.Varchar))
                {
                    Fail(line, $"{counter} is an integer, but column \"{column}\" is {sqlType}; give the column type bigint, integer, smallint, numeric or text");
                }
                return;
            default:
                if (!PgTypeNames.IsIntegerTarget(type))
                {
                    Fail(line, $"\"{from}\" is integer arithmetic, but column \"{column}\" is {sqlType}; give the column type bigint, integer, smallint or numeric");
                }
                return;
        }
    }

    /// <summary>
    /// A "default" policy needs a "default" value, and "nullable": false forbids policies that store NULL.
    /// Both are checked on the effective policies, so a table-wide or mapping-wide setting counts too.
    /// </summary>
    private void CheckPolicies(MappingNode node, TableScope table, ColumnMapping column)
    {
        foreach (string key in PolicyKeys)
        {
            (ValuePolicy policy, int line, string origin) = Effective(node, table, column, key);
            if (policy == ValuePolicy.Default && column.DefaultJson is null)
            {
                Fail(
                    origin.Length == 0 ? line : node.Line,
                    $"column \"{column.Name}\" has \"{key}\": \"default\"{origin} but no \"default\" value; add one, e.g. \"default\": {DefaultExample(column.Type)}, or choose \"error\", \"null\" or \"reject\"");
            }
        }
        if (column.Nullable == false && NullSource(node, table, column) is { } why)
        {
            Fail(node.Get("nullable")!.Line, $"column \"{column.Name}\" is \"nullable\": false, but {why} would store NULL; choose \"error\", \"default\" or \"reject\", or drop \"nullable\": false");
        }
    }

    /// <summary>Which effective policy of the column stores NULL, described for a message; null when none does.</summary>
    private string? NullSource(MappingNode node, TableScope table, ColumnMapping column)
    {
        foreach (string key in PolicyKeys)
        {
            (ValuePolicy policy, _, string origin) = Effective(node, table, column, key);
            if (policy == ValuePolicy.Null)
            {
                return $"\"{key}\": \"null\"{origin}";
            }
            if (policy == ValuePolicy.Default && column.DefaultJson == "null")
            {
                return $"\"{key}\": \"default\"{origin} with \"default\": null";
            }
        }
        return null;
    }

    /// <summary>The policy in force for one key, the line that sets it and where it comes from ("" when set on the column).</summary>
    private (ValuePolicy Policy, int Line, string Origin) Effective(MappingNode node, TableScope table, ColumnMapping column, string key)
    {
        if (Pick(column.Policies, key) is { } p)
        {
            return (p, node.Get(key)!.Line, "");
        }
        if (Pick(table.Policies, key) is { } t)
        {
            int line = table.Node.Get(key)!.Line;
            return (t, line, $" (from table \"{table.Name}\", line {line})");
        }
        if (Pick(_defaults, key) is { } d)
        {
            int line = _defaultsNode!.Get(key)!.Line;
            return (d, line, $" (from \"defaults\", line {line})");
        }
        return (ValuePolicy.Error, node.Line, " (the built-in policy)");
    }

    private static ValuePolicy? Pick(PolicySet set, string key) => key switch
    {
        "onMissing" => set.OnMissing,
        "onNull" => set.OnNull,
        _ => set.OnTypeMismatch,
    };

    private static string DefaultExample(PgType type) => type switch
    {
        PgType.SmallInt or PgType.Integer or PgType.BigInt or PgType.Numeric or PgType.Real or PgType.DoublePrecision => "0",
        PgType.Boolean => "false",
        PgType.TimestampTz or PgType.Timestamp => "\"1970-01-01T00:00:00Z\"",
        PgType.Date => "\"1970-01-01\"",
        PgType.Uuid => "\"00000000-0000-0000-0000-000000000000\"",
        PgType.Json or PgType.Jsonb => "{}",
        _ => "\"\"",
    };

    private static string Shorten(string json) => json.Length <= 40 ? json : json[..37] + "...";

    /// <summary>
    /// "table.column". Names may hold dots themselves, so prefer the split whose table is already defined
    /// (or is this table); <see cref="CheckReferences"/> reports the other cases once every table is known.
    /// </summary>
    private ForeignKeyMapping SplitReference(string target, int line, string currentTable)
    {
        int first = target.IndexOf('.', StringComparison.Ordinal);
        if (first <= 0 || first == target.Length - 1)
        {
            Fail(line, $"\"references\" is \"{target}\"; write the target as \"table.column\", e.g. \"users.id\"");
        }
        for (int dot = first; dot >= 0; dot = target.IndexOf('.', dot + 1))
        {
            string t = target[..dot];
            if (t == currentTable || FindTable(t) is not null)
            {
                return new ForeignKeyMapping(t, target[(dot + 1)..]);
            }
        }
        return new ForeignKeyMapping(target[..first], target[(first + 1)..]);
    }

    private TableDraft? FindTable(string name)
    {
        foreach (TableDraft t in _tables)
        {
            if (t.Table.Name == name)
            {
                return t;
            }
        }
        return null;
    }
}
