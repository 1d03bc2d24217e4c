using EtlFast.Fuzz;
using SharpFuzz;

// etlfast-fuzz TARGET                 run under afl-fuzz (SharpFuzz's AFL protocol), one input per run
// etlfast-fuzz seeds TARGET DIR ROOT  write the seed corpus of TARGET into DIR from the repository at ROOT
// etlfast-fuzz replay TARGET FILE...  run each file once and say accepted / refused (a crash throws);
//                                     use the normal build: instrumented copies need afl-fuzz's memory
if (args.Length == 1 && FuzzTargets.Names.Contains(args[0]))
{
    string target = args[0];
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        FuzzTargets.Run(target, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    });
    return 0;
}
if (args.Length == 4 && args[0] == "seeds")
{
    Console.WriteLine($"{SeedCorpus.Write(args[1], args[2], args[3])} seeds for {args[1]} in {args[2]}");
    return 0;
}
if (args.Length >= 3 && args[0] == "replay")
{
    foreach (string file in args[2..])
    {
        Console.WriteLine($"{file}: {(FuzzTargets.Run(args[1], File.ReadAllBytes(file)) ? "accepted" : "refused")}");
    }
    return 0;
}
Console.Error.WriteLine($"usage: EtlFast.Fuzz {{{string.Join('|', FuzzTargets.Names)}}} | seeds TARGET DIR ROOT | replay TARGET FILE...");
return 2;
