import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { testSigningKey } from './tokens.js';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
/** The server dll `dotnet build -c Release` produced (test.sh builds it before the npm tests run). */
export const serverDll = join(repoRoot, 'src/NotificationHub.Server/bin/Release/net10.0/NotificationHub.Server.dll');

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitLive(baseUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The server exited with code ${child.exitCode} (see artifacts/ts-server-*.log)`);
    try {
      const response = await fetch(`${baseUrl}/health/live`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`The server did not answer /health/live within ${timeoutMs} ms`);
}

/**
 * Starts the built server on a free loopback port (Development: the dev token endpoint is mapped; a test signing key;
 * a fast simulated enricher), waits for /health/live, provides `baseUrl`, and kills the process in teardown.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(serverDll)) {
    throw new Error(`${serverDll} is missing: run \`dotnet build -c Release\` at the repository root first.`);
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const logDir = join(repoRoot, 'artifacts');
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `ts-server-${project.name}.log`));
  const child = spawn('dotnet', [serverDll, '--urls', baseUrl], {
    cwd: dirname(serverDll),
    env: {
      ...process.env,
      ASPNETCORE_ENVIRONMENT: 'Development',
      DOTNET_NOLOGO: '1',
      Auth__SigningKey: testSigningKey,
      // e2e runs slower so a person (and the screenshot) sees the banner move, and a cut lands mid-run.
      Worker__ItemLatency: project.name === 'e2e' ? '00:00:00.080' : '00:00:00.020',
      Worker__ErrorRate: '0.04',
      // test/e2e/tabs.test.ts runs eight BOMs at once.
      Worker__Concurrency: '16',
      Worker__MinProgressInterval: '00:00:00.030',
      RateLimiting__PerUserConcurrentConnections: '1000',
      RateLimiting__PerUserConnectionsPerMinute: '100000',
      Logging__LogLevel__Default: 'Warning',
      Logging__LogLevel__NotificationHub: 'Information',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  try {
    await waitLive(baseUrl, child, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  project.provide('baseUrl', baseUrl);
  return async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    log.end();
  };
}
