using NotificationHub.Server;
using NotificationHub.Server.Auth;

// `token --tenant T ...` mints a local token with the configured key instead of starting the server.
if (args is ["token", .. var tokenArgs])
{
    var configuration = WebApplication.CreateBuilder([]).Configuration;
    return TokenCommand.Run(configuration, tokenArgs, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddNotificationHub();
var app = builder.Build();
app.MapNotificationHub();
await app.RunAsync();

// Not 0: a hosted service that failed (EnrichmentWorkerService) set 1 before the host stopped.
return Environment.ExitCode;

/// <summary>Entry point; public so test fixtures can find the assembly.</summary>
public partial class Program;
