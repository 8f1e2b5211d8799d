// @vitest-environment node
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ContractFields, EnrichmentEventNames, EnrichmentHubNames, EnrichmentStatus, StreamEndReasons } from '../../src/contracts.js';

// Keeps src/contracts.ts in step with the C# source of truth: it fails when a type, a field or a name exists on one
// side only.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const read = (path: string) => readFileSync(join(repo, path), 'utf8');

/** Base type per C# type that derives from another (`record Item : Request`), to add the base's JSON fields. */
const csharpBases = new Map<string, string>();

/** JSON field names per type declared in a C# file (`record`/`class`, `[JsonPropertyName("...")]`). */
function jsonFields(source: string): Map<string, string[]> {
  const types = new Map<string, string[]>();
  const declaration = /\b(?:record|class)\s+(\w+)(?:\s*:\s*(\w+))?/g;
  const matches = [...source.matchAll(declaration)];
  matches.forEach((match, index) => {
    const body = source.slice(match.index, matches[index + 1]?.index ?? source.length);
    const names = [...body.matchAll(/JsonPropertyName\("([^"]+)"\)/g)].map((m) => m[1]!);
    if (names.length > 0) types.set(match[1]!, names);
    if (match[2]) csharpBases.set(match[1]!, match[2]);
  });
  return types;
}

/** `public const string Name = "value";` of a C# file. */
function constants(source: string): Record<string, string> {
  return Object.fromEntries([...source.matchAll(/public const string (\w+) = "([^"]*)";/g)].map((m) => [m[1]!, m[2]!]));
}

const csharpTypes = new Map<string, string[]>();
const contractsDir = 'src/NotificationHub.Contracts';
for (const file of readdirSync(join(repo, contractsDir)).filter((f) => f.endsWith('.cs'))) {
  for (const [type, fields] of jsonFields(read(`${contractsDir}/${file}`))) csharpTypes.set(type, fields);
}
for (const [type, base] of csharpBases) {
  const inherited = csharpTypes.get(base);
  if (inherited && csharpTypes.has(type)) csharpTypes.set(type, [...inherited, ...csharpTypes.get(type)!]);
}
const contractTypes = new Set(csharpTypes.keys());
for (const file of [
  'src/NotificationHub.Server/Hubs/EnrichmentHubMessages.cs',
  'src/NotificationHub.Jobs/LineItem.cs',
  'src/NotificationHub.Server/Jobs/StartJobRequest.cs',
  'src/NotificationHub.Server/Jobs/JobAccepted.cs',
]) {
  for (const [type, fields] of jsonFields(read(file))) csharpTypes.set(type, fields);
}

describe('the TypeScript contract mirrors the C# one', () => {
  it('has a field list for every C# contract type and no other', () => {
    expect(Object.keys(ContractFields).sort()).toEqual([...csharpTypes.keys()].sort());
    expect(contractTypes.size).toBeGreaterThanOrEqual(8);
  });

  it.each(Object.entries(ContractFields))('%s has the same JSON fields', (type, fields) => {
    expect([...fields].sort()).toEqual([...(csharpTypes.get(type) ?? [])].sort());
  });

  it('has the same event names', () => {
    expect(EnrichmentEventNames).toEqual(constants(read(`${contractsDir}/EnrichmentEventNames.cs`)));
  });

  it('has the same stream_end reasons', () => {
    expect(StreamEndReasons).toEqual(constants(read(`${contractsDir}/StreamEndReasons.cs`)));
  });

  it('has the same statuses', () => {
    expect(EnrichmentStatus).toEqual(constants(read(`${contractsDir}/EnrichmentStatus.cs`)));
  });

  it("has the hub's route, client method and server methods", () => {
    const hub = read('src/NotificationHub.Server/Hubs/EnrichmentHub.cs');
    const hubConstants = constants(hub);
    expect(EnrichmentHubNames.Route).toBe(hubConstants.Route);
    expect(EnrichmentHubNames.EventMethod).toBe(hubConstants.EventMethod);
    expect(EnrichmentHubNames.NoticeMethod).toBe(hubConstants.NoticeMethod);
    const methods = [...hub.matchAll(/public async Task<[^>]+> (\w+)\(/g)].map((m) => m[1]!);
    expect(methods.sort()).toEqual([EnrichmentHubNames.Subscribe, EnrichmentHubNames.Unsubscribe].sort());
  });
});
