namespace EtlFast.Core.Mapping;

/// <summary>One entry of "tables": name, path, columns, keys and indexes.</summary>
internal sealed partial class MappingReader
{
    private static readonly string[] TableKeys = ["name", "path", "columns", "primaryKey", "indexes", "onMissing", "onNull", "onTypeMismatch"];
    private static readonly string[] IndexKeys = ["columns", "unique"];

    private TableDraft ReadTable(MappingNode node)
    {
        if (node.Kind != MappingNodeKind.Object)
        {
            Fail(node.Line, $"each entry of \"tables\" must be an object such as {{\"name\": \"users\", \"columns\": [...]}}, not {node.Describe()}");
        }
        // Unknown keys first: a misspelt "nmae" should be reported as such, not as a missing "name".
        string where = node.Get("name") is { Kind: MappingNodeKind.String } n ? $"table \"{n.Text}\"" : $"table #{_tables.Count + 1}";
        CheckKeys(node, where, TableKeys);
        string name = RequireString(node, "name", where, "\"name\": \"users\"");
        int nameLine = node.Get("name")!.Line;
        if (IdentifierRules.Check(name, "table name") is { } nameError)
        {
            Fail(nameLine, nameError);
        }
        foreach (TableDraft earlier in _tables)
        {
            if (earlier.Table.Name == name)
            {
                Fail(nameLine, $"table \"{name}\" is defined twice (first at line {earlier.Table.Line}); rename one of them or merge their columns");
            }
        }

        string? path = OptionalString(node, "path");
        List<PathSegment> segments = [];
        if (path is not null && !PathSyntax.TryParseTablePath(path, out segments, out string pathError))
        {
            Fail(node.Get("path")!.Line, pathError);
        }
        PolicySet policies = ReadPolicies(node);
        var scope = new TableScope(name, path, segments, policies, node);

        MappingNode columnsNode = Require(node, "columns", where, "\"columns\": [{\"name\": \"id\", \"type\": \"bigint\", \"from\": \"_id\"}]");
        if (columnsNode.Kind != MappingNodeKind.Array)
        {
            Fail(columnsNode.Line, $"\"columns\" must be an array of column objects, not {columnsNode.Describe()}");
        }
        if (columnsNode.Items.Count == 0)
        {
            Fail(columnsNode.Line, $"table \"{name}\" has no columns; add at least one, e.g. {{\"name\": \"id\", \"type\": \"bigint\", \"from\": \"_id\"}}");
        }
        var columns = new List<ColumnDraft>(columnsNode.Items.Count);
        foreach (MappingNode c in columnsNode.Items)
        {
            columns.Add(ReadColumn(c, scope, columns));
        }

        List<string> primaryKey = ReadPrimaryKey(node, scope, columns);
        List<IndexMapping> indexes = ReadIndexes(node, scope, columns);

        var mapped = new ColumnMapping[columns.Count];
        for (int i = 0; i < mapped.Length; i++)
        {
            mapped[i] = columns[i].Column;
        }
        var table = new TableMapping
        {
            Name = name,
            Path = path,
            PathSegments = segments,
            Columns = mapped,
            PrimaryKey = primaryKey,
            Indexes = indexes,
            Policies = policies,
            Line = node.Line,
        };
        return new TableDraft(table, node, columns);
    }

    private List<string> ReadPrimaryKey(MappingNode node, TableScope scope, List<ColumnDraft> columns)
    {
        MappingNode? pkNode = OptionalContainer(node, "primaryKey", MappingNodeKind.Array, "\"primaryKey\": [\"id\"]");
        var primaryKey = new List<string>();
        if (pkNode is null)
        {
            return primaryKey;
        }
        foreach ((string col, int line) in StringList(pkNode, "primaryKey", "\"primaryKey\": [\"id\"]"))
        {
            ColumnDraft c = FindColumn(columns, col, line, scope, "\"primaryKey\"");
            if (primaryKey.Contains(col))
            {
                Fail(line, $"\"primaryKey\" of table \"{scope.Name}\" names column \"{col}\" twice; list each column once");
            }
            if (c.Column.Type == PgType.Json)
            {
                Fail(line, $"primary key column \"{col}\" is json, which has no equality operator; make it jsonb or leave it out of the key");
            }
            if (c.Column.Nullable == true)
            {
                Fail(line, $"primary key column \"{col}\" is \"nullable\": true, but key columns cannot hold NULL; remove \"nullable\" from the column or the column from the key");
            }
            if (NullSource(c.Node, scope, c.Column) is { } why)
            {
                Fail(line, $"primary key column \"{col}\" could receive NULL ({why}), but key columns cannot hold NULL; use \"error\", \"default\" or \"reject\"");
            }
            primaryKey.Add(col);
        }
        return primaryKey;
    }

    private List<IndexMapping> ReadIndexes(MappingNode node, TableScope scope, List<ColumnDraft> columns)
    {
        const string Example = "\"indexes\": [[\"email\"], {\"columns\": [\"username\"], \"unique\": true}]";
        MappingNode? indexesNode = OptionalContainer(node, "indexes", MappingNodeKind.Array, Example);
        var indexes = new List<IndexMapping>();
        if (indexesNode is null)
        {
            return indexes;
        }
        foreach (MappingNode item in indexesNode.Items)
        {
            MappingNode list;
            bool unique = false;
            if (item.Kind == MappingNodeKind.Array)
            {
                list = item;
            }
            else if (item.Kind == MappingNodeKind.Object)
            {
                CheckKeys(item, $"an index of table \"{scope.Name}\"", IndexKeys);
                list = Require(item, "columns", $"an index of table \"{scope.Name}\"", "\"columns\": [\"email\"]");
                if (list.Kind != MappingNodeKind.Array)
                {
                    Fail(list.Line, $"\"columns\" of an index must be an array of column names, not {list.Describe()}");
                }
                unique = OptionalBool(item, "unique") ?? false;
            }
            else
            {
                Fail(item.Line, $"each index must be an array of column names or an object {{\"columns\": [...], \"unique\": true}}, not {item.Describe()}");
                return indexes;
            }
            if (list.Items.Count == 0)
            {
                Fail(list.Line, $"an index of table \"{scope.Name}\" lists no columns; name at least one");
            }
            var names = new List<string>();
            foreach ((string col, int line) in StringList(list, "columns", "[\"email\"]"))
            {
                ColumnDraft c = FindColumn(columns, col, line, scope, "an index");
                if (names.Contains(col))
                {
                    Fail(line, $"an index of table \"{scope.Name}\" names column \"{col}\" twice; list each column once");
                }
                if (c.Column.Type == PgType.Json)
                {
                    Fail(line, $"column \"{col}\" is json, which cannot be indexed; make it jsonb or leave it out of the index");
                }
                names.Add(col);
            }
            indexes.Add(new IndexMapping(names, unique, item.Line));
        }
        return indexes;
    }

    private ColumnDraft FindColumn(List<ColumnDraft> columns, string name, int line, TableScope scope, string what)
    {
        foreach (ColumnDraft c in columns)
        {
            if (c.Column.Name == name)
            {
                return c;
            }
        }
        Fail(line, $"{what} of table \"{scope.Name}\" names column \"{name}\", which the table does not have{Suggestions.DidYouMean(name, ColumnNames(columns))}; name one of its columns");
        return null;
    }

    private static List<string> ColumnNames(List<ColumnDraft> columns)
    {
        var names = new List<string>(columns.Count);
        foreach (ColumnDraft c in columns)
        {
            names.Add(c.Column.Name);
        }
        return names;
    }

    /// <summary>What the columns of one table need to know about it while they are read.</summary>
    private sealed record TableScope(string Name, string? Path, List<PathSegment> Segments, PolicySet Policies, MappingNode Node)
    {
        public bool HasArray
        {
            get
            {
                foreach (PathSegment s in Segments)
                {
                    if (s.IsArray)
                    {
                        return true;
                    }
                }
                return false;
            }
        }
    }
}
