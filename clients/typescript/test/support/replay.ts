import { EventSource } from 'eventsource';
import { mintToken } from './tokens.js';
import { waitFor } from './wait.js';

/**
 * Every bus event id of `bomId` after `afterId`, as a fresh raw SSE stream replays it from the server's log: the
 * reference a resumed client's events are compared with ("nothing lost, nothing twice").
 */
export async function replayIds(baseUrl: string, bomId: string, tenant: string, afterId: string): Promise<string[]> {
  const source = new EventSource(
    `${baseUrl}/api/enrichment/stream/${encodeURIComponent(bomId)}?token=${mintToken(tenant)}&last_event_id=${encodeURIComponent(afterId)}`,
  );
  const ids: string[] = [];
  let ended = false;
  for (const name of ['enrichment.started', 'progress', 'enrichment.completed', 'enrichment.failed']) {
    source.addEventListener(name, (event) => ids.push(event.lastEventId));
  }
  source.addEventListener('stream_end', () => {
    ended = true;
    source.close();
  });
  try {
    await waitFor(() => ended, 'the reference replay to end');
  } finally {
    source.close();
  }
  return ids;
}
