using System.Globalization;

namespace NotificationHub.LoadTest;

/// <summary>Reads memory and CPU of other processes from <c>/proc</c> (Linux).</summary>
internal static class ProcStats
{
    private static readonly long ClockTicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>VmRSS of the processes, summed, in KiB (0 when none could be read).</summary>
    public static long RssKiB(IEnumerable<int> pids) => pids.Sum(pid => StatusField(pid, "VmRSS:"));

    /// <summary>User+system CPU time of the processes, summed.</summary>
    public static TimeSpan Cpu(IEnumerable<int> pids) => TimeSpan.FromSeconds(pids.Sum(pid => CpuTicks($"/proc/{pid}/stat")) / (double)ClockTicksPerSecond);

    /// <summary>
    /// CPU per thread name of a process (e.g. <c>.NET TP Worker</c>, <c>.NET Sockets</c>, <c>nginx</c>): a
    /// breakdown of where the server spends its time, without a profiler.
    /// </summary>
    public static Dictionary<string, double> CpuByThreadName(int pid)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                var seconds = CpuTicks(Path.Combine(task, "stat")) / (double)ClockTicksPerSecond;
                result[name] = result.GetValueOrDefault(name) + seconds;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return result;
    }

    private static long StatusField(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private static long CpuTicks(string statPath)
    {
        try
        {
            var stat = File.ReadAllText(statPath);
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After "pid (comm) ": state is field 0, utime field 11, stime field 12.
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
