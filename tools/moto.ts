/**
 * The local AWS API emulator (moto_server) for tests, benchmarks and `npm run dev:lambda -- --emulator`:
 * started on a free loopback port, with the environment an AWS SDK v3 client needs to reach it.
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import getPort from 'get-port';

/** A running moto_server on loopback, with the env an AWS SDK v3 client needs to reach it. */
export interface Moto {
  endpoint: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** A free loopback port (get-port), for servers a test starts. */
export function freePort(): Promise<number> {
  return getPort({ host: '127.0.0.1' });
}

/**
 * Starts `moto_server` (the AWS API emulator) on a free loopback port and waits until it answers.
 * Also sets the standard AWS env vars in this process so SDK clients created afterwards use it.
 */
export async function startMoto(): Promise<Moto> {
  if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('moto_server is not on PATH: install it with `pip install "moto[server]"` (see README)');
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited early (${child.exitCode}): ${stderr}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
  };
  Object.assign(process.env, env);
  return {
    endpoint,
    env,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/** Resets all moto state (buckets, SageMaker resources) between tests without a restart. */
export async function resetMoto(moto: Moto): Promise<void> {
  await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' });
}
