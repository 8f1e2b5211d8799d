using System.Runtime.InteropServices;

namespace NotificationHub.LoadTest;

/// <summary>Raises this process's open-file limit (each connection is a socket) to its hard limit.</summary>
internal static partial class NativeLimits
{
    private const int RlimitNofile = 7; // Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in RLimit limit);

    /// <summary>Sets the soft RLIMIT_NOFILE to the hard one; returns the limit now in force (0 when unknown).</summary>
    public static ulong RaiseOpenFiles()
    {
        if (!OperatingSystem.IsLinux() || getrlimit(RlimitNofile, out var limit) != 0)
        {
            return 0;
        }

        if (limit.Current < limit.Max)
        {
            var raised = new RLimit { Current = limit.Max, Max = limit.Max };
            if (setrlimit(RlimitNofile, raised) == 0)
            {
                return raised.Current;
            }
        }

        return limit.Current;
    }
}
