import { describe, expect, inject, it } from 'vitest';
import { createEnrichmentApi } from '../../src/api.js';
import type { EnrichmentEnvelope } from '../../src/contracts.js';
import { EnrichmentHubClient, type HubProtocolName } from '../../src/signalr.js';
import type { ReceivedEvent } from '../../src/state.js';
import { TcpProxy } from '../support/proxy.js';
import { replayIds } from '../support/replay.js';
import { mintToken } from '../support/tokens.js';
import { lineItems, uniqueBomId, waitFor } from '../support/wait.js';

const baseUrl = inject('baseUrl');

describe.each<HubProtocolName>(['json', 'messagepack'])('SignalR client against the real hub (%s)', (protocol) => {
  it('watches two BOMs over one connection to completion', async () => {
    const tenant = uniqueBomId('t');
    const token = mintToken(tenant);
    const api = createEnrichmentApi(baseUrl, () => token);
    const boms = [uniqueBomId('hub-a'), uniqueBomId('hub-b')];
    const completed: EnrichmentEnvelope[] = [];
    const client = new EnrichmentHubClient({ baseUrl, getToken: () => token, protocol, debug: false });
    await client.start();
    try {
      for (const bomId of boms) await api.start(bomId, lineItems(15));
      const trackers = boms.map((bomId) => client.watch(bomId, { onComplete: (e) => completed.push(e) }));
      await waitFor(() => trackers.every((t) => t.current.connectionStatus === 'closed'), 'both BOMs to complete');
      for (const [index, tracker] of trackers.entries()) {
        expect(tracker.current).toMatchObject({ isComplete: true, progressPercent: 100 });
        expect(tracker.current.progress).toMatchObject({ bom_id: boms[index], total_items: 15, processed_items: 15 });
        // MessagePack and JSON carry the same snake_case maps; timestamps are ISO strings.
        expect(typeof tracker.current.progress?.updated_at).toBe('string');
      }
      expect(completed.map((e) => e.bom_id).sort()).toEqual([...boms].sort());
      expect(client.connectionStatus).toBe('connected');
    } finally {
      await client.stop();
    }
  });

  it('resubscribes from the last event id after the connection is cut, missing nothing', async () => {
    const tenant = uniqueBomId('t');
    const token = mintToken(tenant);
    const api = createEnrichmentApi(baseUrl, () => token);
    const bomId = uniqueBomId('hub-cut');
    const proxy = await TcpProxy.start(new URL(baseUrl));
    const events: ReceivedEvent[] = [];
    const client = new EnrichmentHubClient({
      baseUrl: proxy.url,
      getToken: () => token,
      protocol,
      debug: false,
      backoff: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, jitter: 0.5 },
    });
    try {
      await client.start();
      await api.start(bomId, lineItems(100));
      const tracker = client.watch(bomId, { onEvent: (e) => events.push(e) });
      await waitFor(() => tracker.current.progressPercent >= 20, 'the run to pass 20 %');
      expect(proxy.cut()).toBeGreaterThan(0);
      await waitFor(() => tracker.current.connectionStatus === 'closed', 'the run to complete after the cut', 20_000);
      expect(client.quality.snapshot().reconnects).toBeGreaterThanOrEqual(1);
      expect(tracker.current).toMatchObject({ isComplete: true, progressPercent: 100 });
      const ids = events.filter((e) => e.id !== null).map((e) => e.id!);
      // The server's log after the first id the client saw is exactly what the client applied after it.
      const reference = await replayIds(baseUrl, bomId, tenant, ids[0]!);
      const applied = [...new Set(ids)];
      expect(applied.slice(1)).toEqual(reference);
    } finally {
      await client.stop();
      await proxy.close();
    }
  });
});
