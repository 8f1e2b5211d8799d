#!/usr/bin/env python3
"""Sums Vitest JSON reports (ts-*.json in a folder) and prints 'TypeScript: N passed, N failed, N skipped', then,
given the .NET summary line, the closing line of the whole run ('All: N passed, N failed, N skipped').

Usage: summarize-vitest.py FOLDER [EXTRA_FAILED [DOTNET_SUMMARY]]. EXTRA_FAILED counts parts that failed without a
report (the type check, or a project that could not start)."""
import glob
import json
import sys

passed = failed = skipped = 0
for path in sorted(glob.glob(f"{sys.argv[1]}/ts-*.json")):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    passed += report.get("numPassedTests", 0)
    failed += report.get("numFailedTests", 0)
    skipped += report.get("numPendingTests", 0) + report.get("numTodoTests", 0)
failed += int(sys.argv[2]) if len(sys.argv) > 2 else 0
print(f"TypeScript: {passed} passed, {failed} failed, {skipped} skipped")

if len(sys.argv) > 3:
    counts = dict((label, int(n)) for n, label in (part.split() for part in sys.argv[3].split(", ")))
    print(f"All: {passed + counts.get('passed', 0)} passed, {failed + counts.get('failed', 0)} failed, "
          f"{skipped + counts.get('skipped', 0)} skipped")
