#!/usr/bin/env python3
"""Bytes per connection of a held-connections heap dump, by owner.

    python3 bench/gcdump-owners.py REPORT.txt CONNECTIONS [--types]

REPORT.txt is `dotnet-gcdump report FILE.gcdump`. Counts every type with at least 0.9 live objects per connection
(what each connection holds; shared structures fall below), bytes = the report's bytes x count, and assigns each type
to an owner by its name (the groups of docs/benchmarks.md's owner tables). --types lists the types too.
"""
import re
import sys

OWNERS = [  # first match wins
    ("ours", ("NotificationHub",)),
    ("middleware (rate limiting, exception handler, status pages, endpoint filters and binders)",
     ("RateLimiting", "ExceptionHandler", "StatusCodePages", "RequestDelegateFactory", "EndpointFilterInvocationContext", "Lease")),
    ("authentication, authorization and the request's DI scope",
     ("Authentication", "Authorization", "Claim", "DependencyInjection", "JwtBearer", "IAuthenticationHandler")),
    ("cancellation, timers, locks",
     ("CancellationTokenSource", "CallbackNode", "Registrations", "TimerQueueTimer", "SystemTimeProviderTimer", "System.Threading.Lock")),
    ("Kestrel's HTTP/1.1 connection (socket, pipes, headers, parser, output producer, timeout control)",
     ("Kestrel", "Pipelines", "Sockets", "SocketAsync", "BufferMemoryReceive", "SegmentAsValueType", "IPEndPoint", "IPAddress", "DuplexPipe", "DefaultPipe")),
    ("HttpContext, its features, request, query and route values",
     ("Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Hosting", "ItemsDictionary", "HeaderDictionary")),
]
SHARED = "strings, tasks, arrays, dictionaries, execution contexts and other shared types"


def owner(type_name, assembly):
    if type_name == "Context":
        return OWNERS[5][0]  # Microsoft.AspNetCore.Hosting.HostingApplication+Context
    for name, needles in OWNERS:
        if any(n in type_name or (n == "Kestrel" and n in assembly) for n in needles):
            return name
    return SHARED


def main():
    report, connections = sys.argv[1], int(sys.argv[2])
    types = {}
    line_re = re.compile(r"\s*([\d,]+)\s+([\d,]+)\s+(.*?)(\s+\(Bytes > \d+K\))?\s+\[(.*)\]\s*$")
    for line in open(report):
        m = line_re.match(line)
        if m:
            size, count = int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))
            key = (m.group(3), m.group(5))
            b, c = types.get(key, (0, 0))
            types[key] = (b + size * count, c + count)
    groups, rows = {}, []
    for (name, assembly), (b, c) in types.items():
        if c >= 0.9 * connections:
            o = owner(name, assembly)
            groups[o] = groups.get(o, 0) + b
            rows.append((b, c, o, name))
    print("| owner | bytes per connection |\n|---|---:|")
    for o, b in sorted(groups.items(), key=lambda x: -x[1]):
        print(f"| {o} | {b / connections:,.0f} |")
    print(f"| **total** | **{sum(groups.values()) / connections:,.0f}** |")
    if "--types" in sys.argv:
        for b, c, o, name in sorted(rows, reverse=True):
            print(f"{b / connections:8.0f} {c / connections:5.2f}  {name[:150]}")


if __name__ == "__main__":
    main()
