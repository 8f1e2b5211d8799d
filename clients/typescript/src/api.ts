import type { ApiProblem, EnrichmentProgressState, JobAccepted, LineItem } from './contracts.js';
import { cancelUrl, startUrl, statusUrl } from './url.js';

/** Returns a (fresh) token: called on every connect and after `token_expired`. */
export type TokenProvider = () => Promise<string> | string;

/** An HTTP error answered by the server, with its problem+json body. */
export class EnrichmentApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ApiProblem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'EnrichmentApiError';
  }

  /** The problem's stable code (`job_running`, `bom_not_found`, ...). */
  get code(): string | undefined {
    return this.problem.code;
  }
}

/** A polled state with the id of the event it reflects. */
export interface PolledStatus {
  state: EnrichmentProgressState;
  lastEventId: string | null;
}

/** The REST side: status (polling fallback), Re-Enrich start and cancel. */
export interface EnrichmentApi {
  status(bomId: string, signal?: AbortSignal): Promise<PolledStatus>;
  start(bomId: string, items?: LineItem[]): Promise<JobAccepted>;
  cancel(bomId: string): Promise<JobAccepted>;
}

async function failure(response: Response): Promise<EnrichmentApiError> {
  let problem: ApiProblem = { status: response.status };
  try {
    problem = (await response.json()) as ApiProblem;
  } catch {
    // not JSON: keep the status alone
  }
  return new EnrichmentApiError(response.status, problem);
}

/** Creates the REST client. `fetchImpl` defaults to the global fetch. */
export function createEnrichmentApi(baseUrl: string, getToken: TokenProvider, fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)): EnrichmentApi {
  const headers = async (json: boolean): Promise<Record<string, string>> => ({
    Authorization: `Bearer ${await getToken()}`,
    ...(json ? { 'Content-Type': 'application/json' } : {}),
  });
  return {
    async status(bomId, signal) {
      const response = await fetchImpl(statusUrl(baseUrl, bomId), { headers: await headers(false), ...(signal ? { signal } : {}) });
      if (!response.ok) throw await failure(response);
      return { state: (await response.json()) as EnrichmentProgressState, lastEventId: response.headers.get('Last-Event-ID') };
    },
    async start(bomId, items) {
      const response = await fetchImpl(startUrl(baseUrl, bomId), {
        method: 'POST',
        headers: await headers(items !== undefined),
        ...(items !== undefined ? { body: JSON.stringify({ items }) } : {}),
      });
      if (response.status !== 202) throw await failure(response);
      return (await response.json()) as JobAccepted;
    },
    async cancel(bomId) {
      const response = await fetchImpl(cancelUrl(baseUrl, bomId), { method: 'POST', headers: await headers(false) });
      if (response.status !== 202) throw await failure(response);
      return (await response.json()) as JobAccepted;
    },
  };
}

/** The minimal browser surface the offline queue needs (injectable for tests). */
export interface OnlineSource {
  readonly onLine: boolean;
  addEventListener(type: 'online', listener: () => void): void;
  removeEventListener(type: 'online', listener: () => void): void;
}

function browserOnlineSource(): OnlineSource | null {
  if (typeof navigator === 'undefined' || typeof window === 'undefined') return null;
  return {
    get onLine() {
      return navigator.onLine;
    },
    addEventListener: (type, listener) => window.addEventListener(type, listener),
    removeEventListener: (type, listener) => window.removeEventListener(type, listener),
  };
}

/**
 * The guide's offline support: an action (a Re-Enrich) requested while the browser is offline is queued and run when
 * it is back online. Each call's promise settles when its action finally runs.
 */
export class OfflineQueue {
  private readonly pending: Array<() => void> = [];
  private listening = false;

  constructor(private readonly source: OnlineSource | null = browserOnlineSource()) {}

  /** Actions waiting for the network. */
  get size(): number {
    return this.pending.length;
  }

  /** True when the browser says it is offline. */
  get offline(): boolean {
    return this.source !== null && !this.source.onLine;
  }

  /** Runs `action` now, or when the browser is back online. */
  run<T>(action: () => Promise<T>): Promise<T> {
    if (!this.offline) return action();
    return new Promise<T>((resolve, reject) => {
      this.pending.push(() => {
        action().then(resolve, reject);
      });
      this.listen();
    });
  }

  private listen(): void {
    if (this.listening || this.source === null) return;
    this.listening = true;
    const onOnline = () => {
      this.source?.removeEventListener('online', onOnline);
      this.listening = false;
      for (const action of this.pending.splice(0)) action();
    };
    this.source.addEventListener('online', onOnline);
  }
}
