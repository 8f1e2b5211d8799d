import type { EventSourceLike } from '../../src/sse.js';

/** A scriptable EventSource: the test opens it, emits events and errors, and sees what the client closed. */
export class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  static reset(): void {
    FakeEventSource.instances = [];
  }
  static get last(): FakeEventSource {
    const last = FakeEventSource.instances.at(-1);
    if (!last) throw new Error('No EventSource was created');
    return last;
  }

  readyState = 0;
  onopen: ((this: never, event: Event) => unknown) | null = null;
  onerror: ((this: never, event: Event) => unknown) | null = null;
  closed = false;
  private readonly listeners = new Map<string, Array<(event: MessageEvent) => void>>();

  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  open(): void {
    this.readyState = 1;
    (this.onopen as ((event: Event) => void) | null)?.(new Event('open'));
  }

  emit(type: string, data: unknown, id = ''): void {
    const event = new MessageEvent(type, { data: JSON.stringify(data), lastEventId: id });
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }

  /** A transient error (EventSource will retry) or, with `fatal`, a closed one (HTTP error status). */
  fail(fatal = false): void {
    this.readyState = fatal ? 2 : 0;
    (this.onerror as ((event: Event) => void) | null)?.(new Event('error'));
  }
}

/** A progress-style envelope. */
export function envelope(type: string, id: string, processed: number, total = 10, extra: Record<string, unknown> = {}) {
  return {
    event_id: id,
    event_type: type,
    bom_id: 'bom-1',
    tenant_id: 'acme',
    created_at: '2026-11-25T10:00:00Z',
    state: {
      bom_id: 'bom-1',
      status: type === 'enrichment.completed' ? 'completed' : type === 'enrichment.failed' ? 'failed' : 'enriching',
      total_items: total,
      processed_items: processed,
      enriched_items: processed,
      error_items: 0,
      percent_complete: (100 * processed) / total,
    },
    ...extra,
  };
}
