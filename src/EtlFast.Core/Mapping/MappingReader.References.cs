namespace EtlFast.Core.Mapping;

/// <summary>Foreign keys, checked once every table is known: target exists, comes first, is unique, compares.</summary>
internal sealed partial class MappingReader
{
    private void CheckReferences()
    {
        for (int ti = 0; ti < _tables.Count; ti++)
        {
            TableDraft table = _tables[ti];
            foreach (ColumnDraft c in table.Columns)
            {
                if (c.Column.References is not { } fk)
                {
                    continue;
                }
                int line = c.Node.Get("references")!.Line;
                string target = c.Node.Get("references")!.Text!;
                int targetIndex = IndexOfTable(fk.Table);
                if (targetIndex < 0 && referencesOutside && !DefinedLater(target, ti))
                {
                    // A table of another collection's mapping in the same set: checked by MappingSet once all are read.
                    _external.Add(new ExternalReference(table.Table, c.Column, line));
                    continue;
                }
                if (targetIndex < 0 || targetIndex > ti)
                {
                    ReportMissingOrLater(target, line, table.Table, ti);
                }
                TableDraft parent = _tables[targetIndex];
                ColumnDraft? key = null;
                foreach (ColumnDraft pc in parent.Columns)
                {
                    if (pc.Column.Name == fk.Column)
                    {
                        key = pc;
                    }
                }
                if (key is null)
                {
                    Fail(line, $"\"references\": \"{target}\" names column \"{fk.Column}\", which table \"{fk.Table}\" does not have{Suggestions.DidYouMean(fk.Column, ColumnNames(parent.Columns))}; name one of its columns");
                }
                if (!IsUniqueKey(parent.Table, fk.Column))
                {
                    Fail(line, $"\"references\": \"{target}\" needs \"{fk.Column}\" to be unique in table \"{fk.Table}\", as PostgreSQL requires of a foreign key target; give that table \"primaryKey\": [\"{fk.Column}\"] or an index {{\"columns\": [\"{fk.Column}\"], \"unique\": true}}");
                }
                if (Family(key.Column.Type) != Family(c.Column.Type))
                {
                    Fail(line, $"column \"{c.Column.Name}\" is {PgTypeNames.SqlType(c.Column)} but \"{target}\" is {PgTypeNames.SqlType(key.Column)}; a foreign key needs comparable types, so give both columns the same type");
                }
            }
        }
    }

    private readonly List<ExternalReference> _external = [];

    /// <summary>True when the reference names, under some split of its dots, a table further down this file.</summary>
    private bool DefinedLater(string target, int tableIndex)
    {
        for (int dot = target.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = target.IndexOf('.', dot + 1))
        {
            if (IndexOfTable(target[..dot]) > tableIndex)
            {
                return true;
            }
        }
        return false;
    }

    private void ReportMissingOrLater(string target, int line, TableMapping table, int tableIndex)
    {
        // The reference may name a table defined further down, possibly under another split of its dots.
        for (int dot = target.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = target.IndexOf('.', dot + 1))
        {
            int later = IndexOfTable(target[..dot]);
            if (later > tableIndex)
            {
                Fail(line, $"\"references\": \"{target}\" names table \"{target[..dot]}\", defined further down (line {_tables[later].Table.Line}); parents come first, so move it above table \"{table.Name}\"");
            }
        }
        string name = target[..target.IndexOf('.', StringComparison.Ordinal)];
        var names = new List<string>(_tables.Count);
        foreach (TableDraft t in _tables)
        {
            names.Add(t.Table.Name);
        }
        Fail(line, $"\"references\": \"{target}\" names table \"{name}\", which the mapping does not define{Suggestions.DidYouMean(name, names)}; write \"table.column\" with a table of this file");
    }

    private int IndexOfTable(string name)
    {
        for (int i = 0; i < _tables.Count; i++)
        {
            if (_tables[i].Table.Name == name)
            {
                return i;
            }
        }
        return -1;
    }

    internal static bool IsUniqueKey(TableMapping table, string column)
    {
        if (table.PrimaryKey.Count == 1 && table.PrimaryKey[0] == column)
        {
            return true;
        }
        foreach (IndexMapping index in table.Indexes)
        {
            if (index.Unique && index.Columns.Count == 1 && index.Columns[0] == column)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Types whose values PostgreSQL compares directly (one btree operator family).</summary>
    internal static int Family(PgType type) => type switch
    {
        PgType.SmallInt or PgType.Integer or PgType.BigInt => 1,
        PgType.Real or PgType.DoublePrecision => 2,
        PgType.Text or PgType.Varchar => 3,
        PgType.Date or PgType.Timestamp or PgType.TimestampTz => 4,
        _ => 10 + (int)type,
    };
}
