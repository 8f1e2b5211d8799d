using System.Globalization;
using Microsoft.Diagnostics.Runtime;
using NotificationHub.HeapRefs;

// Usage: NotificationHub.HeapRefs DUMP [TOP]
// DUMP: a dump of the server taken under load (createdump -h -f DUMP PID, createdump ships with the runtime).
// Lists, for every (old object's type and field -> young object's type), how many old objects and 256-byte cards
// hold such a reference at the moment of the dump (docs/benchmarks.md, "Why the gen0 pause rose"). A reference written
// and overwritten between two collections leaves its card dirty but is not in a dump: these are the lasting ones.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: NotificationHub.HeapRefs DUMP [TOP]");
    return 2;
}

var top = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
using var target = DataTarget.LoadDump(args[0]);
var clr = target.ClrVersions[0];

// The dump names the runtime's build; the DAC of the installed runtime of the same version reads it.
var dac = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "libmscordaccore.so");
using var runtime = File.Exists(dac) ? clr.CreateRuntime(dac, ignoreMismatch: true) : clr.CreateRuntime();
var census = OldToYoungCensus.Take(runtime.Heap, target.DataReader);
census.WriteTo(Console.Out, top);
return 0;
