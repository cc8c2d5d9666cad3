/**
 * The `serve` command: configuration, logging, the supervisor. A fatal start-up problem (bad
 * configuration, port in use) ends the process with exit code 1 and one line on stderr, no stack
 * trace. The entry file (container/server.ts) calls it.
 * @module
 */
import { availableParallelism } from 'node:os';
import { pino } from 'pino';
import { RecommenderError } from '../src/core/errors.js';
import { type Config, loadConfig } from '../src/serving/index.js';
import { createLogger, pinoLog } from './log.js';
import { FatalError, type Supervisor, startSupervisor } from './supervisor.js';

const USAGE = [
  'usage: serve    start the SageMaker inference server (port 8080 or SAGEMAKER_BIND_TO_PORT)',
  '       train    run a SageMaker training job (hyperparameters and channels under /opt/ml)',
].join('\n');

/**
 * `train`: the SageMaker training command. It lives in its own bundle beside this one (train.mjs, with
 * the trainer and its report renderer), so serving never loads it; from source it is the TypeScript entry.
 */
async function train(argv: readonly string[], entry: URL): Promise<number> {
  const bundled = entry.pathname.endsWith('.mjs');
  const module = new URL(bundled ? './train.mjs' : '../training/sagemaker/entry.ts', entry);
  const { main: runTrain } = (await import(module.href)) as {
    main(argv: readonly string[]): Promise<number>;
  };
  return runTrain(argv);
}

/** Node versions before 22.12 ignore `reusePort`, so a second thread could not listen on the port. */
export function reusePortSupported(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/** How many request threads a config asks for (one where this Node cannot share the port). */
export function threadCount(config: Pick<Config, 'workers'>): number {
  const wanted = config.workers > 0 ? config.workers : availableParallelism();
  return reusePortSupported() ? wanted : 1;
}

/**
 * Ends the process for a problem an operator must fix: one line, exit code 1, named for the command
 * that was running (`train` or `serve`).
 */
export function die(error: unknown): never {
  const known = error instanceof FatalError || error instanceof RecommenderError;
  const message = error instanceof Error ? error.message : String(error);
  const command = process.argv[2] === 'train' ? 'train' : 'serve';
  process.stderr.write(`${command}: ${known ? '' : 'unexpected error: '}${message}\n`);
  process.exit(1);
}

/**
 * Runs the command line: `serve` (or nothing) starts serving, `train` runs a training job; anything
 * else prints usage (exit 2).
 * @returns the exit code once serving has stopped
 */
export async function main(
  argv: readonly string[],
  entry: URL,
  started?: (supervisor: Supervisor) => void,
): Promise<number> {
  const command = argv[0] ?? 'serve';
  if (command === 'train') return train(argv.slice(1), entry);
  if (command !== 'serve') {
    process.stderr.write(`unknown command: ${command}\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  if (!reusePortSupported()) {
    process.stderr.write(
      `serve: Node ${process.versions.node} cannot share the port between threads: serving with 1 thread (use Node 22.12+)\n`,
    );
  }
  // One writer for stdout: the supervisor's lines and the threads' batches go through the same stream.
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 0 });
  const supervisor = await startSupervisor(config, {
    threads: threadCount(config),
    log: pinoLog(createLogger(config.logLevel, stdout)),
    entry,
    writeLines: (text) => stdout.write(text),
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => void supervisor.shutdown(signal));
  started?.(supervisor);
  return supervisor.done;
}
