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
import { loadConfig } from '../src/serving/config.js';
import { startServer } from './server.js';

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
  const server = await startServer(config);
  const stop = (): void => {
    server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await server.ready;

  const userId = server.store.loaded()?.model.userIds[0] ?? 'u001';
  const body = JSON.stringify({ user_id: userId, k: 3 });
  const response = await fetch(`${server.url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  console.log(`\nServing model ${server.store.version()} from ${modelUri} at ${server.url}`);
  console.log(
    `\n$ curl -s -X POST ${server.url}/invocations -H 'Content-Type: application/json' -d '${body}'`,
  );
  console.log(`${response.status} ${await response.text()}`);
  console.log(`\nAPI docs: ${server.url}/docs   health: ${server.url}/ping   stop: Ctrl+C`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  start().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
