using System.Reflection;
using EtlFast.Cli.Commands;

namespace EtlFast.Cli;

/// <summary>Entry point shared by the executable and the in-process tests: dispatches to a command.</summary>
public static class Cli
{
    public static string Version =>
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        Run(args, new CliContext { Out = stdout, Err = stderr });

    public static int Run(string[] args, CliContext ctx)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            if (args.Length >= 2 && args[0] == "help")
            {
                return Run([args[1], "--help"], ctx);
            }
            ctx.Out.Write(Help.Main);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        if (args[0] is "-V" or "--version" or "version")
        {
            ctx.Out.WriteLine($"etlfast {Version}");
            return ExitCodes.Ok;
        }
        string command = args[0];
        try
        {
            return command switch
            {
                "gen" => GenCommand.Run(args, ctx),
                "load" => LoadCommand.Run(args, ctx),
                "verify" => VerifyCommand.Run(args, ctx),
                "infer" => InferCommand.Run(args, ctx),
                "sync" => SyncCommand.Run(args, ctx),
                _ => throw new UsageException($"unknown command \"{command}\"", "run \"etlfast --help\" to see the commands"),
            };
        }
        catch (UsageException e)
        {
            ctx.Error(e.Message, hint: e.Hint ?? $"run \"etlfast {command} --help\" for usage");
            return ExitCodes.Usage;
        }
    }

    /// <summary>True when <paramref name="args"/> asks for the command's help.</summary>
    public static bool WantsHelp(string[] args) => args.Skip(1).Any(a => a is "-h" or "--help");
}
