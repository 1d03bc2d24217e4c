using EtlFast.Core.Load;
using EtlFast.Core.Mapping;
using EtlFast.Core.Plan;
using EtlFast.PgCopy;

namespace EtlFast.Cli.Commands;

/// <summary>
/// The flags that name what to read and where to write, shared by <c>load</c> and <c>verify</c>: raw
/// values first, then validated into a plan and options by <see cref="Build"/>.
/// </summary>
internal sealed class JobArgs
{
    public string? From;
    public string? ConfigPath;
    public string? MappingPath;
    /// <summary>Every -m given, in order (several, or a directory, make a whole-database run).</summary>
    public readonly List<string> MappingPaths = [];
    /// <summary>Every -c given, in order (in a whole-database run they select collections).</summary>
    public readonly List<string> Collections = [];
    public string? To;
    public string? Schema;
    public string? Database;
    public string? Collection;
    public string? Query;
    public int? BatchSize;
    public int ChunkMb = 4;

    /// <summary>Help lines for the shared flags.</summary>
    public const string Help = """
          --from SOURCE          a mongodump .bson or .bson.gz file, a mongodump output directory
                                 (DIR/db/collection.bson[.gz]: the collection the mapping names), a
                                 mongodump --archive file (plain or --gzip, known by its content: the
                                 namespace the mapping's "database"/"collection" or -d/-c name), -
                                 for standard input (.bson or an archive, gzipped or not), or a
                                 live MongoDB: mongodb://[user:pass@]host/... or mongodb+srv://...
                                 (every driver option passes through: TLS, replicaSet, authSource,
                                 readPreference, compressors ...)
        """ + "\n" + SourceSecrets.Help + "\n" + """
          -m, --mapping FILE     the mapping (JSON): tables, columns, keys, policies; see docs/mapping.md
                                 and examples/seed-users.json
          --to POSTGRES          postgresql://user:password@host:port/db?sslmode=require, or libpq
                                 keywords "host=... dbname=... user=...", or Npgsql "Host=...;Database=...";
                                 default: the PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE,
                                 PGSSLMODE variables. The password is never printed; leave it out of
                                 --to: PGPASSWORD, the passfile (PGPASSFILE, else ~/.pgpass) or a libpq
                                 service give it. "service=NAME" (or ?service=NAME, or PGSERVICE)
                                 reads section [NAME] of PGSERVICEFILE (else ~/.pg_service.conf),
                                 else of PGSYSCONFDIR/pg_service.conf; what --to names wins over it
          -d, --db NAME          MongoDB database (default: the mapping's, else the URI's)
          -c, --collection NAME  MongoDB collection, or the file to find in a dump directory
                                 (default: the mapping's)
          --query JSON           live source only: an Extended JSON filter, e.g. '{"age": {"$gte": 21}}'
          --batch-size N         live source only: documents per cursor batch
          --schema NAME          PostgreSQL schema of the tables (default: the mapping's, else public)
          --chunk-size MB        MiB of BSON per chunk, the unit of work and of commit (default 4)
        """;

    /// <summary>Takes the flag if it is one of the shared ones.</summary>
    public bool TryTake(string flag, ArgReader reader)
    {
        switch (flag)
        {
            case "--from":
                From = reader.Value(flag);
                return true;
            case "--config":
                ConfigPath = reader.Value(flag);
                return true;
            case "-m" or "--mapping":
                MappingPath = reader.Value(flag);
                MappingPaths.Add(MappingPath);
                return true;
            case "--to":
                To = reader.Value(flag);
                return true;
            case "-d" or "--db":
                Database = reader.Value(flag);
                return true;
            case "-c" or "--collection":
                Collection = reader.Value(flag);
                Collections.Add(Collection);
                return true;
            case "--query":
                Query = reader.Value(flag);
                return true;
            case "--batch-size":
                BatchSize = reader.IntValue(flag, 1, 1_000_000);
                return true;
            case "--schema":
                Schema = reader.Value(flag);
                return true;
            case "--chunk-size":
                ChunkMb = reader.IntValue(flag, 1, 1024);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Checks the flags, parses the mapping and the target. Mapping and target errors are usage errors (exit 2).</summary>
    public (LoadPlan Plan, PgTarget Target, byte[] MappingText) Build(CliContext ctx)
    {
        ResolveSource(ctx);
        if (MappingPath is null)
        {
            throw new UsageException("--mapping is required", "see examples/seed-users.json and docs/mapping.md");
        }
        if (!File.Exists(MappingPath))
        {
            throw new UsageException($"mapping file \"{MappingPath}\" does not exist", "see examples/seed-users.json and docs/mapping.md");
        }
        try
        {
            byte[] text = File.ReadAllBytes(MappingPath);
            MappingDocument mapping = MappingParser.Parse(text, MappingPath);
            return (PlanCompiler.Compile(mapping, Schema), PgTarget.Parse(To, ctx.GetEnv), text);
        }
        catch (MappingException e)
        {
            throw new UsageException($"invalid mapping: {e.Message}", "see docs/mapping.md for the mapping format");
        }
        catch (TargetException e)
        {
            throw new UsageException($"invalid --to: {e.Message}", e.Hint);
        }
    }

    /// <summary>Resolves --from (with --config and the environment); refuses a missing one.</summary>
    public void ResolveSource(CliContext ctx)
    {
        From = SourceSecrets.Resolve(From, ConfigPath, ctx);
        if (From is null)
        {
            throw new UsageException("--from is required", $"name a .bson or .bson.gz file, a mongodump directory, - for standard input, or a mongodb:// URI (or give it in --config FILE or {SourceSecrets.Variable})");
        }
        if (Schema is not null && !PgIdentifier.IsValid(Schema, out string? problem))
        {
            throw new UsageException($"--schema \"{Schema}\": {problem}");
        }
    }

    /// <summary>The target --to (or the PG* variables) names.</summary>
    public PgTarget Target(CliContext ctx)
    {
        try
        {
            return PgTarget.Parse(To, ctx.GetEnv);
        }
        catch (TargetException e)
        {
            throw new UsageException($"invalid --to: {e.Message}", e.Hint);
        }
    }

    public LoadOptions Options(PgTarget target, byte[] mappingText, CliContext ctx) => new()
    {
        From = From!,
        Target = target,
        ChunkBytes = ChunkMb * 1024 * 1024,
        OpenStdin = ctx.OpenStdin,
        Database = Database,
        Collection = Collection,
        Query = Query,
        BatchSize = BatchSize,
        MappingText = mappingText,
    };
}
