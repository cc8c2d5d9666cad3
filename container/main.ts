/**
 * The container's entry point: `IMAGE serve` (SageMaker's start command) or `npm run serve`.
 * Runs one server process per core (WORKERS, 0 = every core) behind node:cluster, which shares the
 * one listening socket; on SIGTERM every process finishes its in-flight requests and exits, well
 * before SageMaker's 30 s kill.
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { type Config, loadConfig } from '../src/serving/config.js';
import { createLogger } from './app.js';
import { startServer } from './server.js';

const USAGE = 'usage: serve    start the SageMaker inference server (port 8080 or SAGEMAKER_BIND_TO_PORT)';

/** How many server processes a config asks for. */
export function workerCount(config: Pick<Config, 'workers'>): number {
  return config.workers > 0 ? config.workers : availableParallelism();
}

async function runWorker(config: Config): Promise<void> {
  const server = await startServer(config);
  const stop = (signal: string): void => {
    server.app.log.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), config.shutdownTimeoutSeconds * 1000).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function runPrimary(config: Config, workers: number): void {
  const log = createLogger(config.logLevel);
  let stopping = false;
  log.info({ workers, port: config.port }, 'starting workers');
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker: Worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        log.info('all workers stopped');
        process.exit(0);
      }
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    setTimeout(() => cluster.fork(), 1000).unref();
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => {
      log.error('workers did not stop in time');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, config.shutdownTimeoutSeconds * 1000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * Runs the command line: `serve` (or nothing) starts serving; anything else prints usage.
 * @returns a promise that settles once serving has started
 */
export async function main(argv: readonly string[]): Promise<void> {
  const command = argv[0] ?? 'serve';
  if (command !== 'serve') {
    console.error(`unknown command: ${command}\n${USAGE}`);
    process.exit(2);
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  const workers = workerCount(config);
  if (cluster.isPrimary && workers > 1) runPrimary(config, workers);
  else await runWorker(config);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
