namespace EtlFast.Cli.Commands;

internal static class GenCommand
{
    public static int Run(string[] args, CliContext ctx) => throw new UsageException("gen is not built yet");
}
