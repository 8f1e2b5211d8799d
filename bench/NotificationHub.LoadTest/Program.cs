using NotificationHub.LoadTest;

if (args is [] or ["--help"] or ["-h"])
{
    Console.WriteLine(LoadOptions.Usage);
    return args.Length == 0 ? 2 : 0;
}

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(LoadOptions.Usage);
    return 2;
}

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};

var result = await new LoadRun(options, Console.Out).RunAsync(interrupt.Token);
result.WriteTable(Console.Out);
var json = result.ToJson();
Console.WriteLine("RESULT " + json);
if (options.JsonOut is not null)
{
    await File.AppendAllTextAsync(options.JsonOut, json + Environment.NewLine);
}

return result.ConnectErrors == 0 && result.Missing == 0 && result.Duplicates == 0 && result.StreamErrors == 0 ? 0 : 1;
