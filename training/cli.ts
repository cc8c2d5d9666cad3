/**
 * `npm run train -- [options]`: the training command. Parses and validates the options, runs
 * {@link runTraining} with a progress bar, and turns any failure into one line on stderr and a non-zero
 * exit code (2 for bad options, 1 for anything else), never a stack trace.
 * @module
 */

import { ConfigInvalidError } from '../src/core/errors.js';
import { loadConfig } from '../src/serving/index.js';
import { buildProgram, parseCliOptions } from './cli-options.js';
import { runTraining } from './pipeline.js';
import { createCliReporter } from './progress.js';
import { defaultCommandDeps, runSageMakerCommand } from './sagemaker/command.js';
import { addSageMakerOptions } from './sagemaker/submit-options.js';

/** Runs the CLI on `argv` (as in `process.argv`) and resolves to the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const program = addSageMakerOptions(buildProgram()).exitOverride();
  try {
    program.parse([...argv]);
  } catch (error) {
    // commander has already printed its message (or the help text).
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
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
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`train: error: ${message}\n`);
    return error instanceof ConfigInvalidError ? 2 : 1;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`train: error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
