using System.Diagnostics;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>Starts one of the built apps next to the tests (server or worker) as its own OS process.</summary>
public static class DotnetProcess
{
    /// <summary>
    /// Runs <c>dotnet <paramref name="dll"/></c> in the test output folder with <paramref name="settings"/> as
    /// environment (configuration keys such as <c>Redis:ConnectionString</c> become <c>Redis__ConnectionString</c>);
    /// every output line goes to <paramref name="onLine"/>.
    /// </summary>
    public static Process Start(string dll, IDictionary<string, string?> settings, Action<string>? onLine = null)
    {
        var start = new ProcessStartInfo("dotnet", dll)
        {
            WorkingDirectory = AppContext.BaseDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {dll}.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { onLine?.Invoke(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { onLine?.Invoke(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
