using System.Runtime.InteropServices;

namespace EtlFast.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        int interruptCode = ExitCodes.Interrupted;
        void Stop(PosixSignalContext signal, int code)
        {
            if (cancel.IsCancellationRequested)
            {
                return; // a second Ctrl-C: let the default handler end the process
            }
            signal.Cancel = true;
            interruptCode = code;
            Console.Error.WriteLine($"\netlfast: {signal.Signal} received: stopping after the chunks in flight (again to quit at once)");
            cancel.Cancel();
        }
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, s => Stop(s, ExitCodes.Interrupted));
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, s => Stop(s, ExitCodes.Terminated));

        var ctx = new CliContext
        {
            Out = Console.Out,
            Err = Console.Error,
            ErrIsTerminal = !Console.IsErrorRedirected,
            Cancellation = cancel.Token,
            InterruptExitCode = () => interruptCode,
        };
        return Cli.Run(args, ctx);
    }
}
