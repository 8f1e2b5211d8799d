using System.Globalization;

namespace NotificationHub.Tests.Infrastructure;

/// <summary>One line of <c>CLUSTER NODES</c>: a node's id, port, role, health and slot ranges.</summary>
public sealed record RedisClusterNodeInfo(string Id, int Port, bool IsMaster, bool IsFailed, string? MasterId, IReadOnlyList<(int From, int To)> Slots)
{
    /// <summary>Parses a <c>CLUSTER NODES</c> reply.</summary>
    public static IReadOnlyList<RedisClusterNodeInfo> Parse(string text)
    {
        var nodes = new List<RedisClusterNodeInfo>();
        foreach (var line in text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            // <id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot> <slot> ...
            var fields = line.Split(' ');
            if (fields.Length < 8)
            {
                continue;
            }

            var address = fields[1];
            var port = int.Parse(address[(address.LastIndexOf(':') + 1)..address.IndexOf('@', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            var flags = fields[2].Split(',');
            var slots = new List<(int, int)>();
            foreach (var range in fields.Skip(8).Where(f => !f.StartsWith('[')))
            {
                var dash = range.IndexOf('-', StringComparison.Ordinal);
                slots.Add(dash < 0
                    ? (int.Parse(range, CultureInfo.InvariantCulture), int.Parse(range, CultureInfo.InvariantCulture))
                    : (int.Parse(range[..dash], CultureInfo.InvariantCulture), int.Parse(range[(dash + 1)..], CultureInfo.InvariantCulture)));
            }

            nodes.Add(new RedisClusterNodeInfo(fields[0], port, flags.Contains("master"), flags.Contains("fail") || flags.Contains("fail?"),
                fields[3] == "-" ? null : fields[3], slots));
        }

        return nodes;
    }
}
