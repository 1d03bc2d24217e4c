namespace EtlFast.Cli;

public static class Cli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        stdout.WriteLine("etlfast");
        return 0;
    }
}
