using NotificationHub.Watch;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await WatchCommand.RunAsync(args, Console.Out, Console.Error, cancel.Token);
