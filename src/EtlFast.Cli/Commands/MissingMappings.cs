using EtlFast.Core.Inference;
using EtlFast.Core.Mapping;
using EtlFast.Core.Sources;

namespace EtlFast.Cli.Commands;

/// <summary>
/// <c>etlfast load --infer</c>: a mapping for each selected collection that no --mapping covers, the one
/// <c>etlfast infer</c> would write, kept in DIR/inferred-mappings/DB.COLLECTION.json (DIR: the directory of
/// --summary-json, else the current one) so that the load can be reproduced, reviewed and edited. A file
/// already there (an earlier run's) is taken as it is: a retry or --resume loads with the mapping of the
/// first run, not with one inferred again from a source that has changed since.
/// </summary>
internal static class MissingMappings
{
    public const string DirectoryName = "inferred-mappings";

    /// <summary>Where the inferred mappings of a run go.</summary>
    public static string Directory(string? summaryPath) =>
        Path.Combine(summaryPath is null ? "." : Path.GetDirectoryName(Path.GetFullPath(summaryPath))!, DirectoryName);

    /// <summary>The mapping files for <paramref name="unmapped"/>: found in <paramref name="dir"/> from an earlier run, or
    /// inferred now and written to <paramref name="writeDir"/> (<paramref name="dir"/>, or a scratch directory for --dry-run, which keeps nothing).</summary>
    /// <exception cref="InferStoppedException">A collection could not be inferred; the reason was printed.</exception>
    public static List<string> Infer(string from, MappingSet set, IReadOnlyList<SourceNamespace> unmapped, string dir, string writeDir, bool quiet, CliContext ctx)
    {
        System.IO.Directory.CreateDirectory(writeDir);
        // One load takes every mapping: no two may share a table.
        var taken = new HashSet<string>(set.Ordered.SelectMany(m => m.Mapping.Tables.Select(t => t.Name)), StringComparer.Ordinal);
        var files = new List<string>();
        foreach (SourceNamespace ns in unmapped)
        {
            string file = $"{ns.Database}.{ns.Collection}.json".Replace('/', '_');
            string path = Path.Combine(dir, file);
            if (File.Exists(path))
            {
                taken.UnionWith(Tables(path));
                files.Add(path);
                if (!quiet)
                {
                    ctx.Err.WriteLine($"etlfast: {ns.Name} has no mapping: using {path}, inferred by an earlier run (delete it to infer again)");
                }
                continue;
            }
            var options = new InferOptions { From = from, Database = ns.Database, Collection = ns.Collection, OpenStdin = ctx.OpenStdin, TakenTables = taken };
            int? failed = InferCommand.TryInfer(options, ctx, out InferResult? result);
            path = Path.Combine(writeDir, file);
            if (failed is { } code)
            {
                throw new InferStoppedException(ns.Name, code);
            }
            if (!InferCommand.WriteAtomically(path, result!.Text, ctx))
            {
                throw new InferStoppedException(ns.Name, ExitCodes.Data);
            }
            taken.UnionWith(result.Layout.Tables.Select(t => t.Name));
            files.Add(path);
            if (!quiet)
            {
                ctx.Err.WriteLine($"etlfast: {ns.Name} has no mapping: inferred {result.Layout.Tables.Count} table{(result.Layout.Tables.Count == 1 ? "" : "s")} from {result.Sample}, {(writeDir == dir ? $"written to {path}" : "not kept (--dry-run)")}");
            }
        }
        return files;
    }

    private static IEnumerable<string> Tables(string path)
    {
        try
        {
            return MappingParser.Parse(File.ReadAllBytes(path), path).Tables.Select(t => t.Name);
        }
        catch (MappingException e)
        {
            throw new UsageException($"invalid mapping: {e.Message}", $"fix {path}, or delete it to have --infer write it again");
        }
    }
}

/// <summary>--infer could not infer a collection's mapping; the reason has been printed, nothing loaded.</summary>
internal sealed class InferStoppedException(string ns, int exitCode) : Exception($"could not infer a mapping for {ns}")
{
    public string Namespace { get; } = ns;

    public int ExitCode { get; } = exitCode;
}
