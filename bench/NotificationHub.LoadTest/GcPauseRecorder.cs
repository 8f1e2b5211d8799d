using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace NotificationHub.LoadTest;

/// <summary>
/// The server's garbage collections during the measured phase, read from the runtime's own GC events over EventPipe
/// (the diagnostics IPC socket a .NET process opens): how many, of which generation, and how long each one stopped
/// every managed thread (from suspension start to restart, as PerfView counts a pause; suspension alone is kept
/// apart). A latency tail is then a measured pause, not a guess. Ours only; Nchan is not a .NET process.
/// </summary>
internal sealed class GcPauseRecorder : IAsyncDisposable
{
    private readonly EventPipeSession _session;
    private readonly Task _processing;
    private readonly List<GcPause> _pauses = [];
    private double _suspendStartMs = double.NaN;
    private double _suspendEndMs = double.NaN;
    private int _generation = -1;
    private double _gcStartMs = double.NaN;
    private double _gcEndMs = double.NaN;
    private double _lastMarkMs = double.NaN;
    private double[] _markMs = new double[GcPauseSummary.MarkPhases];
    private long _promotedGen0 = -1;
    private long _promotedByCards;
    private bool _recording; // guarded by _pauses

    private GcPauseRecorder(EventPipeSession session)
    {
        _session = session;
        var source = new EventPipeEventSource(session.EventStream);
        source.Clr.GCSuspendEEStart += e => _suspendStartMs = e.TimeStampRelativeMSec;
        source.Clr.GCSuspendEEStop += e => _suspendEndMs = e.TimeStampRelativeMSec;
        source.Clr.GCStart += e =>
        {
            _generation = e.Depth;
            _gcStartMs = _lastMarkMs = e.TimeStampRelativeMSec;
        };
        source.Clr.GCMarkWithType += OnMarked;
        source.Clr.GCStop += e => _gcEndMs = e.TimeStampRelativeMSec;
        source.Clr.GCHeapStats += e => _promotedGen0 = e.TotalPromotedSize0;
        source.Clr.GCRestartEEStop += OnRestarted;
        _processing = Task.Factory.StartNew(() => source.Process(), TaskCreationOptions.LongRunning);
    }

    /// <summary>Starts listening to <paramref name="pid"/>; null (and a line in the log) when it cannot be traced.</summary>
    public static GcPauseRecorder? TryStart(int pid, TextWriter log)
    {
        try
        {
            var provider = new EventPipeProvider(ClrTraceEventParser.ProviderName, System.Diagnostics.Tracing.EventLevel.Informational,
                (long)ClrTraceEventParser.Keywords.GC);
            return new GcPauseRecorder(new DiagnosticsClient(pid).StartEventPipeSession(provider, requestRundown: false));
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or UnsupportedCommandException or TimeoutException or IOException)
        {
            log.WriteLine($"GC pauses not recorded (pid {pid}): {ex.Message}");
            return null;
        }
    }

    /// <summary>Counts the collections that start from now on.</summary>
    public void Begin()
    {
        lock (_pauses)
        {
            _recording = true;
        }
    }

    /// <summary>Stops counting and summarises what was counted.</summary>
    public GcPauseSummary End()
    {
        lock (_pauses)
        {
            _recording = false; // under the lock: a pause being added now is either in this summary or never counted
            return GcPauseSummary.From(_pauses);
        }
    }

    /// <summary>What was counted so far (events arrive a little after the collections).</summary>
    public GcPauseSummary Summarize()
    {
        lock (_pauses)
        {
            return GcPauseSummary.From(_pauses);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _session.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or TimeoutException or IOException or ObjectDisposedException)
        {
            // The server is gone already: the session ended with it.
        }

        await _processing.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _session.Dispose();
    }

    // Events of one collection arrive in order on the processing thread: suspend start/stop, GC start, ..., restart stop.
    private void OnRestarted(TraceEvent e)
    {
        if (!double.IsNaN(_suspendStartMs) && _generation >= 0)
        {
            var pause = new GcPause(_generation, e.TimeStampRelativeMSec - _suspendStartMs,
                double.IsNaN(_suspendEndMs) ? 0 : _suspendEndMs - _suspendStartMs,
                double.IsNaN(_gcStartMs) || double.IsNaN(_gcEndMs) ? 0 : _gcEndMs - _gcStartMs, _markMs,
                Math.Max(0, _promotedGen0), _promotedByCards);
            lock (_pauses)
            {
                if (_recording)
                {
                    _pauses.Add(pause);
                }
            }
        }

        _suspendStartMs = _suspendEndMs = _gcStartMs = _gcEndMs = _lastMarkMs = double.NaN;
        _generation = -1;
        _markMs = new double[GcPauseSummary.MarkPhases];
        _promotedGen0 = -1;
        _promotedByCards = 0;
    }

    // A workstation collection marks from one kind of root after another and says so when done with each: the time
    // since the previous mark event (or the collection's start) is that kind's share of the mark phase.
    private void OnMarked(GCMarkWithTypeTraceData e)
    {
        if (double.IsNaN(_lastMarkMs))
        {
            return;
        }

        var phase = e.Type;
        if (phase is >= 0 and < GcPauseSummary.MarkPhases)
        {
            _markMs[phase] += e.TimeStampRelativeMSec - _lastMarkMs;
            if (phase == (int)GcMarkPhase.Older)
            {
                _promotedByCards += e.Promoted;
            }
        }

        _lastMarkMs = e.TimeStampRelativeMSec;
    }
}
