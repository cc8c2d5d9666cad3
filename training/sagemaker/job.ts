/**
 * The `train` command of the image, as the SageMaker training contract runs it: hyperparameters from
 * `hyperparameters.json` (or SM_HPS) become `npm run train` options, the events come from the
 * `training` channel and the video metadata from the `videos` channel (each a directory of part
 * files), the model is published to `/opt/ml/model` in our artifact format (SageMaker uploads it as
 * `model.tar.gz`, which a SageMaker endpoint unpacks back into `/opt/ml/model` and serves as is), the
 * evaluation report goes to `/opt/ml/output/data`, and ALS checkpoints to `/opt/ml/checkpoints` when it
 * exists. A failure writes its one-line reason to `/opt/ml/output/failure` (SageMaker shows it as the
 * job's FailureReason) and exits non-zero.
 * @module
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { ConfigInvalidError, InputInvalidError } from '../../src/core/errors.js';
import { buildProgram, parseCliOptions } from '../cli-options.js';
import {
  runTraining,
  type TrainingOptions,
  type TrainingOutcome,
  type TrainingReporter,
} from '../pipeline.js';
import type { TrainingEnvironment } from './environment.js';
import { hyperparameterArgs, parseHyperparameters } from './hyperparameters.js';

/** SageMaker keeps the first 1024 characters of the failure file as the job's FailureReason. */
export const MAX_FAILURE_CHARS = 1024;

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The job's hyperparameters: `hyperparameters.json`, else SM_HPS, else none. */
export async function readHyperparameters(where: TrainingEnvironment): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(where.hyperparametersFile, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
    return where.hyperparametersJson === undefined
      ? {}
      : parseHyperparameters(where.hyperparametersJson, 'SM_HPS');
  }
  return parseHyperparameters(text, where.hyperparametersFile);
}

/** Parses training arguments with the CLI's own program, turning its errors into ConfigInvalidError. */
function parseArgs(args: readonly string[]): ReturnType<typeof parseCliOptions> {
  const program = buildProgram()
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  try {
    program.parse([...args], { from: 'user' });
  } catch (error) {
    const message = error instanceof CommanderError ? error.message.replace(/^error: /, '') : String(error);
    throw new ConfigInvalidError(`hyperparameters: ${message}`, { cause: error });
  }
  return parseCliOptions(program.opts());
}

/**
 * The training options of a job: its hyperparameters as CLI options, `threads` from SM_NUM_CPUS unless
 * given, checkpoints in `/opt/ml/checkpoints` when SageMaker provides it, inputs from the channels and
 * the model directory as the one destination (plus `s3` when a hyperparameter names one).
 * @throws ConfigInvalidError for bad hyperparameters, InputInvalidError without a training channel
 */
export async function jobOptions(
  where: TrainingEnvironment,
): Promise<{ options: TrainingOptions; args: string[] }> {
  const hyperparameters = await readHyperparameters(where);
  const args = hyperparameterArgs(hyperparameters);
  if (hyperparameters.threads === undefined && where.numCpus !== undefined) {
    args.push('--threads', String(where.numCpus));
  }
  if (hyperparameters['checkpoint-dir'] === undefined && (await isDirectory(where.checkpointDir))) {
    args.push('--checkpoint-dir', where.checkpointDir);
  }
  const { training } = parseArgs(args);
  if (!(await isDirectory(where.trainingChannel))) {
    throw new InputInvalidError(
      `No training channel: ${where.trainingChannel} is not a directory (give the job an input channel named "training" with the events)`,
    );
  }
  const videos = (await isDirectory(where.videosChannel)) ? where.videosChannel : undefined;
  return {
    options: {
      ...training,
      interactions: where.trainingChannel,
      videos,
      out: where.modelDir,
      sagemakerTarball: false,
    },
    args,
  };
}

/** Writes the evaluation report and the manifest's metrics to the output data directory. */
async function writeOutputData(dir: string, outcome: TrainingOutcome): Promise<void> {
  const { manifest } = outcome.artifact;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'report.html'), outcome.report);
  const metrics = {
    version: manifest.version,
    params: manifest.params,
    counts: manifest.counts,
    metrics: manifest.metrics,
  };
  await writeFile(join(dir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
}

/**
 * Runs one training job in this container.
 * @param where - the contract's paths, from {@link trainingEnvironment}
 * @param reporter - progress lines (the job's log)
 * @param overrides - options fixed by the caller (tests: `createdAt`; the entry: `forcePathStyle`)
 * @example
 * await runTrainingJob(trainingEnvironment(process.env), lineReporter(process.stdout));
 */
export async function runTrainingJob(
  where: TrainingEnvironment,
  reporter: TrainingReporter,
  overrides: Partial<TrainingOptions> = {},
): Promise<TrainingOutcome> {
  const { options, args } = await jobOptions(where);
  reporter.info?.(
    `Training job ${where.jobName ?? '(outside SageMaker)'}: train ${args.join(' ')}`.trimEnd(),
  );
  const outcome = await runTraining({ ...options, ...overrides }, reporter);
  await writeOutputData(where.outputDataDir, outcome);
  return outcome;
}

/** An error as the one line the failure file holds: its message with line breaks folded, cut to SageMaker's limit. */
export function failureReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join(' | ');
  return (line || 'training failed').slice(0, MAX_FAILURE_CHARS);
}

/** Writes `<outputDir>/failure`; a directory that cannot be written is reported, not thrown. */
export async function writeFailure(outputDir: string, reason: string): Promise<string | undefined> {
  try {
    await mkdir(outputDir, { recursive: true });
    await writeFile(join(outputDir, 'failure'), `${reason}\n`);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Plain progress lines for a job's log (no progress bar): one per iteration, with the loss. */
export function lineReporter(out: NodeJS.WritableStream): TrainingReporter {
  let label = '';
  let total = 0;
  return {
    info: (line) => out.write(`${line}\n`),
    fitStart: (name, iterations) => {
      label = name;
      total = iterations;
    },
    iteration: (info) => {
      const loss = info.loss === undefined ? '-' : info.loss.toExponential(6);
      out.write(
        `${label}: iteration ${info.iteration}/${total} loss=${loss} seconds=${info.seconds.toFixed(3)}\n`,
      );
    },
  };
}
