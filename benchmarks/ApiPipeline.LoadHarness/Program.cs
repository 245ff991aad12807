using System.Globalization;
using ApiPipeline.LoadHarness;

// ApiPipeline load harness (issue 7). Three commands, one executable:
//   (default)  the parent: starts the loopback API, runs every client as a child process of itself (A/B, B/A), verifies, prints tables
//   client     one client run (the parent starts these); prints one "RESULT {json}" line
//   serve      the API alone, for profiling a client by hand (prints its URL; stops after --seconds, on Enter, or on SIGTERM/SIGINT)
// See docs/performance.md and `--help`.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

try
{
    return args.FirstOrDefault() switch
    {
        "client" => await ClientCommand.RunAsync(args[1..]),
        "serve" => await ServeCommand.RunAsync(args[1..]),
        "--help" or "-h" or "help" => Usage(0),
        _ => await HarnessCommand.RunAsync(HarnessOptions.Parse(args)),
    };
}
catch (UsageException ex)
{
    Console.Error.WriteLine(ex.Message);
    return Usage(64);
}

static int Usage(int code)
{
    (code == 0 ? Console.Out : Console.Error).WriteLine(HarnessOptions.Help);
    return code;
}
