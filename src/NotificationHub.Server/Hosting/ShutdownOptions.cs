using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Server.Hosting;

/// <summary>Graceful shutdown (SIGTERM), bound from the <c>Shutdown</c> section.</summary>
public sealed class ShutdownOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Shutdown";

    /// <summary>
    /// How long a stopping node may take: SSE streams end with <c>stream_end</c> <c>server_shutdown</c>, SignalR
    /// connections are closed, and whatever is still open when it passes is aborted and the process exits. Keep it
    /// below the orchestrator's grace period (Kubernetes: 30 s) so the node is never SIGKILLed mid-drain.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
