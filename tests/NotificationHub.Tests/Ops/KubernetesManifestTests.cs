using System.Diagnostics;
using System.Text.Json.Nodes;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Ops;

/// <summary>
/// deploy/kubernetes, offline: the base and the Redis Cluster overlay render with <c>kubectl kustomize</c> (test.sh
/// installs Debian's kubectl when none is on PATH), every object is valid against the Kubernetes API schemas of the
/// kubernetes-models package (deploy/kubernetes/validate), and the settings that make drain, probes and SSE work are
/// there by name.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Validator = RepositoryFiles.PathOf("deploy/kubernetes/validate");

    [Fact]
    public async Task The_base_renders_valid_objects_with_probes_drain_timing_and_hardening()
    {
        var objects = await RenderAndValidateAsync("deploy/kubernetes/base");

        string[] kinds = ["Namespace", "ServiceAccount", "ConfigMap", "Deployment", "Service", "Ingress", "PodDisruptionBudget", "HorizontalPodAutoscaler"];
        Assert.All(kinds, kind => Assert.Contains(objects, o => Kind(o) == kind));
        var settings = Single(objects, "ConfigMap", name => name.StartsWith("notificationhub-settings", StringComparison.Ordinal));
        var hub = Single(objects, "Deployment", name => name == "notificationhub-hub");
        var pod = hub["spec"]!["template"]!["spec"]!;
        var container = pod["containers"]![0]!;

        Assert.Equal("/health/live", container["livenessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal("/health/ready", container["readinessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal(settings["metadata"]!["name"]!.GetValue<string>(), container["envFrom"]![0]!["configMapRef"]!["name"]!.GetValue<string>());
        Assert.Contains(container["env"]!.AsArray(), env => env!["name"]!.GetValue<string>() == "Auth__SigningKey" && env["valueFrom"]?["secretKeyRef"] is not null);

        // Jobs run on the workers only: the hubs turn their hosted worker off, and nothing turns the workers' off.
        Assert.Contains(container["env"]!.AsArray(), env => env!["name"]!.GetValue<string>() == "Worker__Enabled" && env["value"]!.GetValue<string>() == "false");
        Assert.Null(settings["data"]!["Worker__Enabled"]);
        var worker = Single(objects, "Deployment", name => name == "notificationhub-worker")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.DoesNotContain(worker["env"]!.AsArray(), env => env!["name"]!.GetValue<string>() == "Worker__Enabled");

        // The timing rule: the grace period outlasts the drain delay plus the drain timeout, with time left to exit.
        var drainDelay = TimeSpan.Parse(settings["data"]!["Shutdown__DrainDelay"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var drainTimeout = TimeSpan.Parse(settings["data"]!["Shutdown__DrainTimeout"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var grace = TimeSpan.FromSeconds(pod["terminationGracePeriodSeconds"]!.GetValue<int>());
        Assert.True(grace >= drainDelay + drainTimeout + TimeSpan.FromSeconds(5), $"terminationGracePeriodSeconds {grace} < DrainDelay {drainDelay} + DrainTimeout {drainTimeout} + 5 s");
        Assert.True(drainDelay > TimeSpan.Zero, "A hub in Kubernetes needs a drain delay for the endpoint removal to propagate.");
        Assert.Equal(0, hub["spec"]!["strategy"]!["rollingUpdate"]!["maxUnavailable"]!.GetValue<int>());

        foreach (var deployment in objects.Where(o => Kind(o) == "Deployment"))
        {
            var spec = deployment["spec"]!["template"]!["spec"]!;
            Assert.True(spec["securityContext"]!["runAsNonRoot"]!.GetValue<bool>());
            Assert.NotNull(spec["securityContext"]!["fsGroup"]);
            var main = spec["containers"]![0]!;
            Assert.True(main["securityContext"]!["readOnlyRootFilesystem"]!.GetValue<bool>());
            Assert.NotNull(main["resources"]!["requests"]);
            Assert.NotNull(main["livenessProbe"]);
        }

        // SSE and SignalR through ingress-nginx: no buffering and long timeouts on both, affinity on the hub's only.
        var ingresses = objects.Where(o => Kind(o) == "Ingress").ToList();
        Assert.All(ingresses, ingress =>
        {
            Assert.Equal("off", Annotation(ingress, "nginx.ingress.kubernetes.io/proxy-buffering"));
            Assert.True(int.Parse(Annotation(ingress, "nginx.ingress.kubernetes.io/proxy-read-timeout")!, System.Globalization.CultureInfo.InvariantCulture) >= 3600);
        });
        var sticky = Assert.Single(ingresses, ingress => Annotation(ingress, "nginx.ingress.kubernetes.io/affinity") == "cookie");
        Assert.All(sticky["spec"]!["rules"]![0]!["http"]!["paths"]!.AsArray(), path => Assert.Equal("/hubs", path!["path"]!.GetValue<string>()));
        Assert.Equal("None", Single(objects, "Service", _ => true)["spec"]!["sessionAffinity"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_redis_cluster_overlay_renders_valid_objects_on_the_cluster_with_sharded_pubsub()
    {
        var objects = await RenderAndValidateAsync("deploy/kubernetes/overlays/redis-cluster");
        var settings = Single(objects, "ConfigMap", name => name.StartsWith("notificationhub-settings", StringComparison.Ordinal));
        Assert.Equal(3, settings["data"]!["Redis__ConnectionString"]!.GetValue<string>().Split(',').Length);
        Assert.Equal("on", settings["data"]!["Redis__ShardedPubSub"]!.GetValue<string>());
        Assert.Equal("00:00:05", settings["data"]!["Shutdown__DrainDelay"]!.GetValue<string>()); // merged, not replaced
        Assert.Equal(3, Single(objects, "Deployment", name => name == "notificationhub-hub")["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_validator_refuses_an_object_that_breaks_the_schema()
    {
        const string broken = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: broken
            spec:
              selector:
                matchLabels: {app: x}
              template:
                spec:
                  containers:
                    - name: x
                      image: x
                      ports:
                        - containerPort: http
            """;
        var (exitCode, output) = await RunAsync("node", ["validate.mjs"], Validator, broken);
        Assert.Equal(1, exitCode);
        Assert.Contains("containerPort must be integer", output, StringComparison.Ordinal);
    }

    private static async Task<List<JsonNode>> RenderAndValidateAsync(string directory)
    {
        var (renderExit, rendered) = await RunAsync("kubectl", ["kustomize", RepositoryFiles.PathOf(directory)], RepositoryFiles.Root, null, stdoutOnly: true);
        Assert.True(renderExit == 0, $"kubectl kustomize {directory} failed: {rendered}");
        var json = Path.Combine(Path.GetTempPath(), $"nh-k8s-{Guid.NewGuid():N}.json");
        try
        {
            var (validateExit, report) = await RunAsync("node", ["validate.mjs", "--json", json], Validator, rendered);
            Assert.True(validateExit == 0, $"Objects of {directory} break the Kubernetes schemas:\n{report}");
            return [.. JsonNode.Parse(await File.ReadAllTextAsync(json))!.AsArray().Select(o => o!)];
        }
        finally
        {
            File.Delete(json);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] args, string directory, string? input, bool stdoutOnly = false)
    {
        if (program == "node")
        {
            Assert.True(Directory.Exists(Path.Combine(Validator, "node_modules", "kubernetes-models")),
                "deploy/kubernetes/validate has no node_modules: run `npm ci` there (test.sh does).");
        }

        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{program} is not on PATH ({ex.Message}): test.sh installs it (kubectl: Debian's kubernetes-client; node: nodejs).", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.StandardInput.WriteAsync(input ?? "");
            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var output = stdoutOnly && process.ExitCode == 0 ? await stdout : await stdout + await stderr;
            return (process.ExitCode, output);
        }
    }

    private static string Kind(JsonNode o) => o["kind"]!.GetValue<string>();

    private static string? Annotation(JsonNode o, string key) => o["metadata"]!["annotations"]?[key]?.GetValue<string>();

    private static JsonNode Single(IEnumerable<JsonNode> objects, string kind, Func<string, bool> name) =>
        Assert.Single(objects, o => Kind(o) == kind && name(o["metadata"]!["name"]!.GetValue<string>()));
}
