namespace EtlFast.Cli.Commands;

internal static class LoadCommand
{
    public static int Run(string[] args, CliContext ctx) => throw new UsageException("load is not built yet");
}
