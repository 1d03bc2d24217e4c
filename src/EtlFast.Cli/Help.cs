namespace EtlFast.Cli;

/// <summary>Help texts. Each command's text lists every flag it accepts.</summary>
internal static class Help
{
    public const string ExitCodes = """
        Exit codes:
          0    success
          1    completed, but some documents were rejected (--on-error reject)
          2    usage error or invalid mapping (nothing was read or written)
          3    connection error (PostgreSQL or MongoDB)
          4    data error (a document could not be converted, or the source is corrupt)
          130  interrupted (Ctrl-C); 143 terminated (SIGTERM)
        """;

    public static readonly string Main = $"""
        etlfast - copy MongoDB collections into relational PostgreSQL tables, fast and without loss

        Usage:
          etlfast <command> [options]
          etlfast <command> --help     options of one command

        Commands:
          load     copy a mongodump file or directory into PostgreSQL tables, as a mapping says
          verify   compare the tables with rows recomputed from the source (counts and checksums)
          infer    sample a source and propose a mapping (tables, columns, keys) to load it with
          sync     load a live collection, then keep the tables following its change stream
          gen      generate sample data (the seed benchmark's user documents) as a .bson file

        Options:
          -h, --help       show this help
          -V, --version    print the version

        Examples:
          etlfast gen users --count 10000 -o users.bson
          etlfast infer --from users.bson -o users.json
          etlfast load --from users.bson --mapping examples/seed-users.json \
                       --to postgresql://postgres@localhost/postgres

        {ExitCodes}

        """;
}
