/**
 * `npm start`: the first thing to run after `npm ci`. Trains the shipped sample into artifacts/ when
 * no model is there yet, serves it on http://localhost:8080 with the container's server, sends one
 * request so a newcomer sees an answer, then keeps serving until Ctrl+C.
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { loadConfig } from '../src/serving/index.js';
import { createLogger, pinoLog } from './log.js';
import { threadCount } from './main.js';
import { startSupervisor } from './supervisor.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where `npm run train` publishes by default. */
export const LOCAL_MODEL_DIR = 'artifacts';

function trainSample(): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'training/cli.ts', '--out', LOCAL_MODEL_DIR], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`training exited with ${code}`))));
  });
}

async function start(): Promise<void> {
  const modelUri = process.env.MODEL_URI ?? resolve(ROOT, LOCAL_MODEL_DIR);
  if (!process.env.MODEL_URI && !existsSync(join(modelUri, 'latest.json'))) {
    console.log(`No model in ${modelUri} yet: training the shipped sample (data/sample) first.\n`);
    await trainSample();
  }
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    ...process.env,
    MODEL_URI: modelUri,
  });
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 0 });
  const supervisor = await startSupervisor(config, {
    threads: threadCount(config),
    log: pinoLog(createLogger(config.logLevel, stdout)),
    entry: new URL('./server.ts', import.meta.url),
    writeLines: (text) => stdout.write(text),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void supervisor.shutdown(signal));
  // The supervisor's exit code is the process's: 0 after a drain, 1 after a fatal error.
  void supervisor.done.then((code) => process.exit(code));
  const url = `http://127.0.0.1:${config.port}`;
  await waitForModel(url);
  const userId = 'u001';
  const body = JSON.stringify({ user_id: userId, k: 3 });
  const response = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  console.log(`\nServing model ${supervisor.runtime.handle()?.version} from ${modelUri} at ${url}`);
  console.log(`\n$ curl -s -X POST ${url}/invocations -H 'Content-Type: application/json' -d '${body}'`);
  console.log(`${response.status} ${await response.text()}`);
  console.log(`\nAPI docs: ${url}/docs   health: ${url}/ping   stop: Ctrl+C`);
}

/** Polls /ping as a client would until the model answers 200. */
async function waitForModel(url: string): Promise<void> {
  for (;;) {
    const status = await fetch(`${url}/ping`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  start().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
