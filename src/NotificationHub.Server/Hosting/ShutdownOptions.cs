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

    /// <summary>
    /// How long a node keeps serving after SIGTERM (or SIGINT/SIGQUIT) before it starts the drain above. Meanwhile
    /// <c>/health/ready</c> answers 503 and everything else works as before, new connections included: an
    /// orchestrator's endpoint removal (Kubernetes: EndpointSlices, kube-proxy, the ingress controller) takes a few
    /// seconds to reach every load balancer, and connections they still send here must not be refused.
    /// A second signal skips what is left of it. <c>0</c> drains at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(5);
}
