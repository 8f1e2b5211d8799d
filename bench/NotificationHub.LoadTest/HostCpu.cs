using System.Globalization;

namespace NotificationHub.LoadTest;

/// <summary>
/// The machine's CPU accounting from <c>/proc/stat</c>: on a shared VM, <em>steal</em> is time the hypervisor gave
/// our vCPUs to another guest. A run with high steal measured a noisy neighbour as much as the servers.
/// </summary>
internal readonly record struct HostCpu(long Total, long Steal, long Idle)
{
    public static HostCpu Read()
    {
        try
        {
            // cpu  user nice system idle iowait irq softirq steal guest guest_nice
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = fields.Skip(1).Take(8).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            return new HostCpu(values.Sum(), values[7], values[3] + values[4]);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return default;
        }
    }

    /// <summary>Percent of the machine's CPU time stolen between <paramref name="start"/> and this reading.</summary>
    public double StealPercentSince(HostCpu start) =>
        Total > start.Total ? (Steal - start.Steal) * 100.0 / (Total - start.Total) : 0;
}
