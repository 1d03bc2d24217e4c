namespace EtlFast.Core.Mapping;

/// <summary>
/// The mappings of a whole-database load: several files (or every *.json of a directory), one collection
/// each, read together so that a column may reference a table of another collection's mapping. Checked
/// before anything is read: one mapping per collection, one collection per table, every reference to a
/// table of the set (existing column, unique there, comparable type, same schema), and no cycle between
/// collections, since keys are built collection after collection in <see cref="Ordered"/> order.
/// </summary>
public sealed class MappingSet
{
    /// <summary>One mapping of the set: the parsed file and its bytes (the load's identity is computed from them).</summary>
    public sealed record Member(MappingDocument Mapping, byte[] Text)
    {
        public string Namespace => Mapping.Database is null ? Mapping.Collection : $"{Mapping.Database}.{Mapping.Collection}";
    }

    private MappingSet(IReadOnlyList<Member> ordered) => Ordered = ordered;

    /// <summary>The members, each after every member it references: the order keys and foreign keys are built in.</summary>
    public IReadOnlyList<Member> Ordered { get; }

    /// <summary>The files a <c>--mapping</c> value names: the file itself, or every *.json of a directory (sorted).</summary>
    public static IReadOnlyList<string> Files(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Directory.Exists(path))
        {
            return [path];
        }
        return [.. Directory.GetFiles(path, "*.json").Order(StringComparer.Ordinal)];
    }

    /// <summary>Reads and checks the mappings; <paramref name="schemaOverride"/> is --schema (every mapping's tables go there).</summary>
    public static MappingSet Read(IReadOnlyList<string> files, string? schemaOverride)
    {
        ArgumentNullException.ThrowIfNull(files);
        var members = new List<Member>();
        foreach (string file in files)
        {
            byte[] text = File.ReadAllBytes(file);
            members.Add(new Member(MappingParser.Parse(text, file, referencesOutside: files.Count > 1), text));
        }
        return Check(members, schemaOverride);
    }

    private static MappingSet Check(List<Member> members, string? schemaOverride)
    {
        string SchemaOf(Member m) => schemaOverride ?? m.Mapping.Schema ?? "public";
        var byNamespace = new Dictionary<string, Member>(StringComparer.Ordinal);
        var byTable = new Dictionary<(string Schema, string Table), (Member Member, TableMapping Table)>();
        foreach (Member m in members)
        {
            if (byNamespace.TryGetValue(m.Namespace, out Member? first))
            {
                MappingThrow.At(m.Mapping.FileName, 1, $"collection {m.Namespace} is mapped twice: by this file and by {first.Mapping.FileName}; keep one mapping per collection");
            }
            byNamespace[m.Namespace] = m;
            foreach (TableMapping t in m.Mapping.Tables)
            {
                if (byTable.TryGetValue((SchemaOf(m), t.Name), out var other))
                {
                    MappingThrow.At(m.Mapping.FileName, t.Line,
                        $"table \"{t.Name}\" is also the table of collection {other.Member.Namespace} ({other.Member.Mapping.FileName}:{other.Table.Line}); two collections cannot load into one table: rename one");
                }
                byTable[(SchemaOf(m), t.Name)] = (m, t);
            }
        }
        var dependsOn = members.ToDictionary(m => m, _ => new HashSet<Member>());
        foreach (Member m in members)
        {
            foreach (ExternalReference r in m.Mapping.ExternalReferences)
            {
                ForeignKeyMapping fk = r.Column.References!;
                string target = $"{fk.Table}.{fk.Column}";
                if (!byTable.TryGetValue((SchemaOf(m), fk.Table), out var parent))
                {
                    string[] names = [.. byTable.Keys.Select(k => k.Table)];
                    MappingThrow.At(m.Mapping.FileName, r.Line,
                        $"\"references\": \"{target}\" names table \"{fk.Table}\", which no mapping of the set defines{Suggestions.DidYouMean(fk.Table, names)}; write \"table.column\" with a table of one of the mappings");
                }
                ColumnMapping? key = parent.Table.Columns.FirstOrDefault(c => c.Name == fk.Column);
                if (key is null)
                {
                    MappingThrow.At(m.Mapping.FileName, r.Line,
                        $"\"references\": \"{target}\" names column \"{fk.Column}\", which table \"{fk.Table}\" ({parent.Member.Mapping.FileName}) does not have{Suggestions.DidYouMean(fk.Column, [.. parent.Table.Columns.Select(c => c.Name)])}");
                }
                if (!MappingReader.IsUniqueKey(parent.Table, fk.Column))
                {
                    MappingThrow.At(m.Mapping.FileName, r.Line,
                        $"\"references\": \"{target}\" needs \"{fk.Column}\" to be unique in table \"{fk.Table}\" ({parent.Member.Mapping.FileName}), as PostgreSQL requires of a foreign key target; give it \"primaryKey\": [\"{fk.Column}\"] or a unique index");
                }
                if (MappingReader.Family(key.Type) != MappingReader.Family(r.Column.Type))
                {
                    MappingThrow.At(m.Mapping.FileName, r.Line,
                        $"column \"{r.Column.Name}\" is {PgTypeNames.SqlType(r.Column)} but \"{target}\" ({parent.Member.Mapping.FileName}) is {PgTypeNames.SqlType(key)}; a foreign key needs comparable types, so give both columns the same type");
                }
                if (parent.Member != m)
                {
                    dependsOn[m].Add(parent.Member);
                }
            }
        }
        return new MappingSet(Order(members, dependsOn));
    }

    /// <summary>Referenced collections first (a depth-first topological sort); a cycle is a mapping error naming it.</summary>
    private static List<Member> Order(List<Member> members, Dictionary<Member, HashSet<Member>> dependsOn)
    {
        var ordered = new List<Member>();
        var done = new HashSet<Member>();
        var path = new List<Member>();
        void Visit(Member m)
        {
            if (done.Contains(m))
            {
                return;
            }
            int at = path.IndexOf(m);
            if (at >= 0)
            {
                string cycle = string.Join(" -> ", path.Skip(at).Append(m).Select(x => x.Namespace));
                MappingThrow.At(m.Mapping.FileName, 1,
                    $"the collections reference each other in a cycle ({cycle}); keys are built collection by collection, referenced ones first, so remove one of these \"references\"");
            }
            path.Add(m);
            foreach (Member parent in dependsOn[m].OrderBy(p => members.IndexOf(p)))
            {
                Visit(parent);
            }
            path.RemoveAt(path.Count - 1);
            done.Add(m);
            ordered.Add(m);
        }
        foreach (Member m in members)
        {
            Visit(m);
        }
        return ordered;
    }
}
