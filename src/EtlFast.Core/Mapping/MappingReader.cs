using System.Diagnostics.CodeAnalysis;

namespace EtlFast.Core.Mapping;

/// <summary>
/// Turns the JSON tree of a mapping file into a <see cref="MappingDocument"/>, checking every rule
/// and stopping at the first mistake with its line. One instance reads one file.
/// </summary>
internal sealed partial class MappingReader(string fileName, bool referencesOutside = false)
{
    private static readonly string[] DocumentKeys = ["collection", "database", "schema", "defaults", "tables"];

    private readonly string _file = fileName;
    private readonly List<TableDraft> _tables = [];
    private PolicySet _defaults = PolicySet.Inherit;
    private MappingNode? _defaultsNode;

    public MappingDocument Read(MappingNode root)
    {
        if (root.Kind != MappingNodeKind.Object)
        {
            Fail(root.Line, $"the mapping must be a JSON object such as {{\"collection\": \"users\", \"tables\": [...]}}, not {root.Describe()}");
        }
        CheckKeys(root, "the mapping", DocumentKeys);
        string collection = RequireString(root, "collection", "the mapping", "\"collection\": \"users\"");
        if (collection.Length == 0)
        {
            Fail(root.Get("collection")!.Line, "\"collection\" is empty; name the MongoDB collection to read, e.g. \"users\"");
        }
        string? database = OptionalString(root, "database");
        if (database is { Length: 0 })
        {
            Fail(root.Get("database")!.Line, "\"database\" is empty; name the MongoDB database or leave the key out");
        }
        string? schema = OptionalString(root, "schema");
        if (schema is not null && IdentifierRules.Check(schema, "schema name") is { } schemaError)
        {
            Fail(root.Get("schema")!.Line, schemaError);
        }
        _defaultsNode = OptionalContainer(root, "defaults", MappingNodeKind.Object, "\"defaults\": {\"onMissing\": \"null\"}");
        if (_defaultsNode is not null)
        {
            CheckKeys(_defaultsNode, "\"defaults\"", PolicyKeys);
            _defaults = ReadPolicies(_defaultsNode);
        }
        MappingNode tables = Require(root, "tables", "the mapping", "\"tables\": [{\"name\": \"users\", \"columns\": [...]}]");
        if (tables.Kind != MappingNodeKind.Array)
        {
            Fail(tables.Line, $"\"tables\" must be an array of table objects, not {tables.Describe()}");
        }
        if (tables.Items.Count == 0)
        {
            Fail(tables.Line, "\"tables\" is empty; map at least one table");
        }
        foreach (MappingNode table in tables.Items)
        {
            _tables.Add(ReadTable(table));
        }
        CheckReferences();

        var result = new TableMapping[_tables.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = _tables[i].Table;
        }
        return new MappingDocument
        {
            FileName = _file,
            Database = database,
            Collection = collection,
            Schema = schema,
            Defaults = _defaults,
            Tables = result,
            ExternalReferences = _external,
        };
    }

    [DoesNotReturn]
    private void Fail(int line, string reason) => MappingThrow.At(_file, line, reason);

    /// <summary>A table read so far, with its JSON (for the lines of later cross-table errors).</summary>
    private sealed record TableDraft(TableMapping Table, MappingNode Node, List<ColumnDraft> Columns);

    private sealed record ColumnDraft(ColumnMapping Column, MappingNode Node);
}
