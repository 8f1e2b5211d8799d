import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EnrichmentProgressState } from '../../src/contracts.js';
import type { ReceivedEvent } from '../../src/state.js';
import { TcpProxy } from '../support/proxy.js';
import { replayIds } from '../support/replay.js';
import { uniqueBomId } from '../support/wait.js';

const baseUrl = inject('baseUrl');
const artifacts = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../artifacts/e2e');
const step = 20_000; // bound of every single wait

let browser: Browser;
let proxy: TcpProxy;
let page: Page;
const consoleLines: string[] = [];

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
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

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && page) {
    await page.screenshot({ path: join(artifacts, `failed-${context.task.name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => undefined);
    console.log(consoleLines.slice(-40).join('\n'));
  }
  await page?.context().close();
  await proxy?.close();
});

interface DemoRecord {
  events: ReceivedEvent[];
  percents: number[];
}

/** Opens the demo through a fresh proxy (the connection the test can cut). */
async function openDemo(transport: 'sse' | 'signalr', bomId: string): Promise<void> {
  proxy = await TcpProxy.start(new URL(baseUrl));
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  page = await context.newPage();
  page.setDefaultTimeout(step);
  consoleLines.length = 0;
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  await page.goto(`${proxy.url}/?bom=${bomId}&transport=${transport}`, { timeout: step });
  const label = transport === 'sse' ? 'SSE' : 'SignalR';
  await expect(page.getByRole('button', { name: label, exact: true }).getAttribute('aria-pressed')).resolves.toBe('true');
  await page.getByText('Never enriched.').waitFor();
}

async function reEnrich(): Promise<void> {
  await page.getByRole('button', { name: /Re-Enrich/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Re-enrich this BOM?').waitFor();
  await dialog.getByRole('button', { name: 'Start enrichment' }).click();
}

async function record(): Promise<DemoRecord> {
  return page.evaluate(() => window.__nhDemo ?? { events: [], percents: [] });
}

async function serverState(bomId: string): Promise<EnrichmentProgressState> {
  const { token } = (await (await fetch(`${baseUrl}/api/dev/token`)).json()) as { token: string };
  const response = await fetch(`${baseUrl}/api/enrichment/status/${bomId}`, { headers: { Authorization: `Bearer ${token}` } });
  return (await response.json()) as EnrichmentProgressState;
}

/** The page's end state must be the server's, every bus event applied once, in log order, none missing. */
async function expectCompleteAndLossless(bomId: string): Promise<DemoRecord> {
  await page.getByTestId('completed').waitFor();
  const state = await serverState(bomId);
  expect(state.status).toBe('completed');
  await expect(page.getByTestId('completed-counts').textContent()).resolves.toBe(`${state.enriched_items} / ${state.total_items} enriched`);
  const demo = await record();
  expect(demo.percents.at(-1)).toBe(100);
  expect(demo.percents).toEqual([...demo.percents].sort((a, b) => a - b));
  const ids = demo.events.filter((e) => e.id !== null).map((e) => e.id!);
  const applied = [...new Set(ids)];
  expect(applied.length).toBeGreaterThan(1);
  expect(applied.slice(1)).toEqual(await replayIds(baseUrl, bomId, 'demo', applied[0]!));
  // The page refetched the BOM's status when enrichment completed.
  await page.getByTestId('bom-status').getByText(/Last enrichment: completed/).waitFor();
  return demo;
}

describe.each(['sse', 'signalr'] as const)('the demo page in Chromium over %s', (transport) => {
  it('shows the banner from 0 to 100 % and the completed state after Re-Enrich', async () => {
    const bomId = uniqueBomId(`e2e-${transport}`);
    await openDemo(transport, bomId);
    await reEnrich();
    const banner = page.getByTestId('progress-banner');
    await banner.waitFor();
    await expect(banner.getByRole('progressbar').getAttribute('aria-valuenow')).resolves.toMatch(/^\d+$/);
    await page.screenshot({ path: join(artifacts, `demo-${transport}-in-progress.png`), fullPage: false });
    const demo = await expectCompleteAndLossless(bomId);
    expect(demo.percents[0]).toBeLessThan(50);
    await banner.waitFor({ state: 'hidden' });
    await expect(page.getByTestId('connection-status').textContent()).resolves.toMatch(/closed/);
  });

  it('resumes without missing a count when the connection is cut mid-run', async () => {
    const bomId = uniqueBomId(`e2e-cut-${transport}`);
    await openDemo(transport, bomId);
    await reEnrich();
    await page.waitForFunction(() => (window.__nhDemo?.percents.at(-1) ?? 0) >= 20, undefined, { timeout: step });
    expect(proxy.cut()).toBeGreaterThan(0);
    await page.getByTestId('connection-status').getByText(/reconnecting/).waitFor();
    await page.screenshot({ path: join(artifacts, `demo-${transport}-reconnecting.png`) });
    await expectCompleteAndLossless(bomId);
    await page.getByTestId('quality').getByText(/reconnects [1-9]/).waitFor();
  });
});
