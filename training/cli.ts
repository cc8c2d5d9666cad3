/**
 * `npm run train -- [options]`: the training command. Parses and validates the options, runs
 * {@link runTraining} with a progress bar, and turns any failure into one line on stderr and a non-zero
 * exit code (2 for bad options, 1 for anything else), never a stack trace.
 * @module
 */

import { loadConfig } from '../src/serving/index.js';
import { buildProgram, parseCliOptions } from './cli-options.js';
import { parseArgs, reportFailure, runCommand } from './command.js';
import { runTraining } from './pipeline.js';
import { createCliReporter } from './progress.js';
import { defaultCommandDeps, runSageMakerCommand } from './sagemaker/command.js';
import { addSageMakerOptions } from './sagemaker/submit-options.js';

/** Runs the CLI on `argv` (as in `process.argv`) and resolves to the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const program = addSageMakerOptions(buildProgram()).exitOverride();
  const parsed = parseArgs(program, argv);
  if (parsed !== undefined) return parsed;
  try {
    // The one S3 setting the SDK reads from no variable (path-style, for emulators), validated with the rest.
    const forcePathStyle = loadConfig(process.env).s3ForcePathStyle;
    const values = program.opts();
    if (values.on === 'sagemaker') {
      return await runSageMakerCommand(program, defaultCommandDeps(String(values.region), forcePathStyle));
    }
    const { training, cli } = parseCliOptions(values);
    const reporter = createCliReporter(cli.quiet);
    await runTraining({ ...training, forcePathStyle }, reporter);
    return 0;
  } catch (error) {
    return reportFailure('train', error);
  }
}

runCommand('train', main);
