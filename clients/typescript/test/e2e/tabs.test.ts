import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEnrichmentApi } from '../../src/api.js';
import type { ReceivedEvent } from '../../src/state.js';
import { replayIds } from '../support/replay.js';
import { mintToken } from '../support/tokens.js';
import { lineItems, uniqueBomId } from '../support/wait.js';

// Eight tabs of the demo page in one browser profile, over plain HTTP/1.1 (six connections per origin at most).
const baseUrl = inject('baseUrl');
const step = 20_000; // bound of every single wait
const api = createEnrichmentApi(baseUrl, () => mintToken('demo')); // the dev token's tenant

let browser: Browser;
let context: BrowserContext | null = null;
let started: string[] = [];
const consoleLines: string[] = [];

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: step,
  });
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async (test) => {
  if (test.task.result?.state === 'fail') console.log(consoleLines.slice(-60).join('\n'));
  consoleLines.length = 0;
  await context?.close();
  context = null;
  // Runs the test no longer follows would keep the shared server busy.
  await Promise.all(started.map((bomId) => api.cancel(bomId).catch(() => undefined)));
  started = [];
});

/** A connection a page opened: an SSE stream request or a WebSocket (SignalR). */
interface Connection {
  page: Page;
  url: string;
  /** Not finished, failed or closed yet (a request the browser queued counts too). */
  open: boolean;
  /** The server answered (the response headers arrived): the stream is really open. */
  answered: boolean;
  /** When the browser issued it (epoch ms). */
  at: number;
}

interface Tabs {
  pages: Page[];
  connections: Connection[];
  /** The most answered connections open at the same moment. */
  maxOpen: number;
}

/** Opens one tab of the demo per BOM (before any run starts, so no tab connects yet) and records its connections. */
async function openTabs(transport: 'sse' | 'signalr', boms: readonly string[], share: boolean): Promise<Tabs> {
  context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const tabs: Tabs = { pages: [], connections: [], maxOpen: 0 };
  // Counted when a connection is answered: a stream the client replaces is closed in the same task as the new one is
  // requested, and Playwright may report the two in either order.
  const measure = () => {
    tabs.maxOpen = Math.max(tabs.maxOpen, tabs.connections.filter((c) => c.open && c.answered).length);
  };
  const opened = (connection: Connection) => {
    tabs.connections.push(connection);
    measure();
  };
  const streams = new Map<unknown, Connection>();
  context.on('request', (request) => {
    if (!request.url().includes('/api/enrichment/stream')) return;
    const connection = { page: request.frame().page(), url: request.url(), open: true, answered: false, at: Date.now() };
    streams.set(request, connection);
    opened(connection);
  });
  context.on('response', (response) => {
    const connection = streams.get(response.request());
    if (!connection) return;
    connection.answered = true;
    measure();
  });
  const ended = (request: unknown) => {
    const connection = streams.get(request);
    if (connection) connection.open = false;
  };
  context.on('requestfinished', ended);
  context.on('requestfailed', ended);
  for (const bomId of boms) {
    const page = await context.newPage();
    page.setDefaultTimeout(step);
    page.on('websocket', (socket) => {
      const connection = { page, url: socket.url(), open: true, answered: true, at: Date.now() };
      opened(connection);
      socket.on('close', () => (connection.open = false));
    });
    // A closed tab's connections end with it (Playwright reports no further events of its requests).
    page.on('close', () => {
      for (const connection of tabs.connections) if (connection.page === page) connection.open = false;
    });
    await page.goto(`${baseUrl}/?bom=${bomId}&transport=${transport}${share ? '' : '&share=0'}`, { timeout: step });
    await page.getByText('Never enriched.').waitFor();
    tabs.pages.push(page);
    const index = tabs.pages.length - 1;
    page.on('console', (message) => {
      if (/shared connection|Connecting|Stream ended|failed/i.test(message.text())) consoleLines.push(`${Date.now() % 100000} tab${index}: ${message.text()}`);
    });
  }
  return tabs;
}

async function startRuns(boms: readonly string[], items: number): Promise<void> {
  started.push(...boms);
  await Promise.all(boms.map((bomId) => api.start(bomId, lineItems(items))));
}

const connect = (page: Page) => page.evaluate(() => window.__nhDemo?.connect?.());
const record = (page: Page) => page.evaluate(() => window.__nhDemo ?? { events: [] as ReceivedEvent[], percents: [] as number[], statuses: [] as string[] });

/** Every bus event of the BOM after the tab's first one, as the server's log replays it, each exactly once. */
async function expectEveryEventOnce(page: Page, bomId: string): Promise<void> {
  await page.getByTestId('completed').waitFor({ timeout: step });
  const demo = await record(page);
  const ids = demo.events.filter((e) => e.id !== null && e.event !== 'connected').map((e) => e.id!);
  expect(ids.length).toBeGreaterThan(1);
  expect(new Set(ids).size, `${bomId}: an event was delivered twice`).toBe(ids.length);
  expect(ids.slice(1), `${bomId}: events missing`).toEqual(await replayIds(baseUrl, bomId, 'demo', ids[0]!));
  expect(demo.percents.at(-1)).toBe(100);
}

describe.each(['sse', 'signalr'] as const)('eight tabs sharing one connection over %s', (transport) => {
  it('every tab shows every event of its BOM, over one connection for the whole browser', async () => {
    const boms = Array.from({ length: 8 }, (_, i) => uniqueBomId(`tabs-${transport}-${i}`));
    const tabs = await openTabs(transport, boms, true);
    await startRuns(boms, 40);
    await Promise.all(tabs.pages.map(connect));
    for (const [index, page] of tabs.pages.entries()) await expectEveryEventOnce(page, boms[index]!);
    expect(tabs.maxOpen).toBe(1);
    const holders = new Set(tabs.connections.map((c) => c.page));
    expect(holders.size).toBe(1); // one tab held the connection for all eight
    if (transport === 'sse') {
      for (const connection of tabs.connections) expect(new URL(connection.url).pathname).toBe('/api/enrichment/stream');
    } else {
      expect(tabs.connections).toHaveLength(1); // one WebSocket; the hub adds BOMs to it
    }
    console.log(`[tabs ${transport}] ${tabs.connections.length} stream request(s) by one tab, at most ${tabs.maxOpen} open at once`);
  });

  it('closing the leader tab mid-run: another tab takes over and every other tab finishes with every event, none twice', async () => {
    const boms = Array.from({ length: 8 }, (_, i) => uniqueBomId(`lead-${transport}-${i}`));
    const tabs = await openTabs(transport, boms, true);
    await startRuns(boms, 70);
    await Promise.all(tabs.pages.map(connect));
    // Mid-run: every tab has shown some progress.
    for (const page of tabs.pages) await page.waitForFunction(() => (window.__nhDemo?.percents.at(-1) ?? 0) >= 15, undefined, { timeout: step });
    const leader = tabs.connections.find((c) => c.open)?.page;
    expect(leader).toBeDefined();
    const survivors = tabs.pages.filter((page) => page !== leader);
    const closedAt = Date.now();
    await leader!.close();
    for (const page of survivors) await expectEveryEventOnce(page, boms[tabs.pages.indexOf(page)]!);
    const holders = [...new Set(tabs.connections.map((c) => c.page))];
    expect(holders).toHaveLength(2);
    expect(tabs.maxOpen).toBe(1);
    const successor = tabs.connections.filter((c) => c.page !== leader);
    console.log(`[tabs ${transport}] leader closed: the next tab connected after ${successor[0]!.at - closedAt} ms`);
    if (transport === 'sse') {
      // The new leader resumed from the tabs' last ids: its first stream carries a cursor.
      expect(new URL(successor[0]!.url).searchParams.get('last_event_id')).toMatch(/^m1,/);
    }
  });
});

describe('a leader tab that stops answering', () => {
  it('loses the stream to a follower that steals the lock, and every tab, itself included, ends with every event once', async () => {
    const boms = Array.from({ length: 4 }, (_, i) => uniqueBomId(`hung-${i}`));
    const tabs = await openTabs('sse', boms, true);
    await startRuns(boms, 110);
    await Promise.all(tabs.pages.map(connect));
    for (const page of tabs.pages) await page.waitForFunction(() => (window.__nhDemo?.percents.at(-1) ?? 0) >= 10, undefined, { timeout: step });
    const leader = tabs.connections.find((c) => c.open)!.page;
    // A busy (or frozen) tab runs nothing for a while, yet keeps its Web Lock: it neither relays nor answers pings.
    const hungAt = Date.now();
    const hung = leader.evaluate(() => {
      const until = Date.now() + 6000;
      while (Date.now() < until) {
        // busy
      }
    });
    await expect.poll(() => tabs.connections.some((c) => c.answered && c.page !== leader), { timeout: step, interval: 100 }).toBe(true);
    await hung;
    const successor = tabs.connections.find((c) => c.page !== leader)!;
    console.log(`[tabs sse] leader stopped answering: a follower stole the lock and connected after ${successor.at - hungAt} ms`);
    expect(new URL(successor.url).searchParams.get('last_event_id')).toMatch(/^m1,/);
    for (const page of tabs.pages) await expectEveryEventOnce(page, boms[tabs.pages.indexOf(page)]!);
  });
});

describe('tabs that do not share (shareConnection: false)', () => {
  it('the 7th tab\'s stream never opens while six streams are open, and opens when one closes', async () => {
    const boms = Array.from({ length: 7 }, (_, i) => uniqueBomId(`solo-${i}`));
    const tabs = await openTabs('sse', boms, false);
    await startRuns(boms, 250); // long enough to outlast the wait
    for (const page of tabs.pages.slice(0, 6)) {
      await connect(page);
      await page.waitForFunction(() => window.__nhDemo?.statuses.includes('connected') ?? false, undefined, { timeout: step });
    }
    const seventh = tabs.pages[6]!;
    await connect(seventh);
    const stalled = await seventh
      .waitForFunction(() => window.__nhDemo?.statuses.includes('connected') ?? false, undefined, { timeout: 5000 })
      .then(() => false, () => true);
    expect(stalled, 'the 7th EventSource opened although six streams were open').toBe(true);
    expect(tabs.connections.filter((c) => c.open && c.answered)).toHaveLength(6);
    expect(tabs.connections.filter((c) => c.page === seventh).map((c) => c.answered)).not.toContain(true);
    const statuses = await Promise.all(tabs.pages.slice(0, 6).map(async (page) => (await record(page)).statuses.at(-1)));
    expect(statuses).toEqual(Array(6).fill('connected'));
    // The browser's limit was the cause: one stream fewer, and the 7th opens.
    await tabs.pages[0]!.close();
    await seventh.waitForFunction(() => window.__nhDemo?.statuses.includes('connected') ?? false, undefined, { timeout: step });
  });
});
