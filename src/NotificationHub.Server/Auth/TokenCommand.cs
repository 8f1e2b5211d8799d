using System.Globalization;
using Microsoft.Extensions.Options;

namespace NotificationHub.Server.Auth;

/// <summary>
/// <c>token --tenant T [--sub S] [--scope enrichment:publish] [--minutes 60]</c>: prints a token signed with the
/// configured key, so a developer can open the stream with curl and publish test events.
/// </summary>
public static class TokenCommand
{
    /// <summary>Runs the command; returns the process exit code.</summary>
    public static int Run(IConfiguration configuration, IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        string? tenant = null, scope = null;
        var subject = "developer";
        var minutes = 60.0;
        for (var i = 0; i < args.Count - 1; i += 2)
        {
            switch (args[i])
            {
                case "--tenant": tenant = args[i + 1]; break;
                case "--sub": subject = args[i + 1]; break;
                case "--scope": scope = args[i + 1]; break;
                case "--minutes": minutes = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default:
                    error.WriteLine($"Unknown option {args[i]}");
                    return 2;
            }
        }

        if (tenant is null && scope is null)
        {
            error.WriteLine("usage: token --tenant TENANT [--sub USER] [--scope enrichment:publish] [--minutes 60]");
            return 2;
        }

        var options = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        if (string.IsNullOrEmpty(options.SigningKey))
        {
            error.WriteLine("No Auth:SigningKey configured (run with ASPNETCORE_ENVIRONMENT=Development, or set Auth__SigningKey).");
            return 1;
        }

        output.WriteLine(new TokenIssuer(Options.Create(options)).Issue(tenant, subject, TimeSpan.FromMinutes(minutes), scope));
        return 0;
    }
}
