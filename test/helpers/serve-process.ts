/**
 * Starting the container's server as a real process for integration tests: the production bundle
 * (or the harness bundle with its control channel), its output captured, helpers to wait for it.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServerBundle } from '../../container/build.js';
import type { HarnessCommand } from './serve-harness.js';

let harness: Promise<string> | undefined;

/** The harness bundle (built once per test run). */
export function harnessBundle(): Promise<string> {
  harness ??= buildServerBundle(
    mkdtempSync(join(tmpdir(), 'serve-harness-')),
    'test/helpers/serve-harness.ts',
  ).then((b) => b.file);
  return harness;
}

/** A running server process. */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** everything it wrote to stdout, one entry per line */
  lines: string[];
  stderr(): string;
  /** resolves with the exit code (or the signal's name) */
  exited: Promise<number | string>;
  send(command: HarnessCommand): Promise<unknown>;
}

/**
 * Starts `node BUNDLE serve` with `env` (PORT, MODEL_URI, ...); with `ipc`, the control channel.
 * @example
 * const server = await startServe(await harnessBundle(), { PORT: '18080', MODEL_URI: dir });
 */
export function startServe(bundle: string, env: Record<string, string>, ipc = true): ServeProcess {
  const child = spawn(process.execPath, [bundle, 'serve'], {
    env: { ...process.env, LOG_LEVEL: 'info', HOST: '127.0.0.1', ...env },
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let pending = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  return {
    child,
    url: `http://127.0.0.1:${env.PORT}`,
    lines,
    stderr: () => stderr,
    exited,
    async send(command) {
      const reply = once(child, 'message');
      child.send(command);
      return (await reply)[0];
    },
  };
}

/** Parsed JSON log lines with this message. */
export function logged(server: ServeProcess, message: string): Record<string, unknown>[] {
  return server.lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.message === message);
}

/** Polls `check` every 50 ms until it returns true or `ms` pass. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The status of GET /ping on a fresh connection, or 0 when refused. */
export async function pingStatus(url: string): Promise<{ status: number; version?: string }> {
  try {
    const response = await fetch(`${url}/ping`, { headers: { connection: 'close' } });
    const body = (await response.json()) as { modelVersion?: string };
    return { status: response.status, ...(body.modelVersion ? { version: body.modelVersion } : {}) };
  } catch {
    return { status: 0 };
  }
}
