/**
 * `npm run import -- --spark-als <model> --interactions <events> [options]`: imports a Spark ALS model
 * (training/spark-import.ts). Takes the options of `npm run train` for the events, the videos and the
 * destinations; of the ALS options only `--regularization` and `--alpha` matter (recorded in the
 * manifest for serving's fold-in). Failures are one line on stderr: exit 2 for bad options, 1 otherwise.
 * @module
 */
import { ConfigInvalidError } from '../src/core/errors.js';
import { loadConfig } from '../src/serving/index.js';
import { buildProgram, parseCliOptions } from './cli-options.js';
import { parseArgs, reportFailure, runCommand } from './command.js';
import { createCliReporter } from './progress.js';
import { runSparkImport } from './spark-import.js';

/** The import command: the training options plus the Spark model. */
function buildImportProgram(): ReturnType<typeof buildProgram> {
  return buildProgram()
    .name('import')
    .description(
      'Import a Spark MLlib ALS model (userFactors/itemFactors Parquet) with the events it was trained on, evaluate it and publish it as our artifact.',
    )
    .requiredOption(
      '--spark-als <uri>',
      'the folder ALSModel.save() wrote: a directory or s3://bucket/prefix',
    )
    .option(
      '--spark-holdout',
      'the Spark job trained on the train part of our split (README), so the evaluation is held out',
    );
}

async function main(argv: readonly string[]): Promise<number> {
  const program = buildImportProgram().exitOverride();
  const parsed = parseArgs(program, argv);
  if (parsed !== undefined) return parsed;
  try {
    const values = program.opts();
    if (values.interactions === undefined)
      throw new ConfigInvalidError('--interactions is required for an import');
    const { training, cli } = parseCliOptions(values);
    const forcePathStyle = loadConfig(process.env).s3ForcePathStyle;
    const options = {
      ...training,
      forcePathStyle,
      sparkAls: String(values.sparkAls),
      sparkHoldout: values.sparkHoldout === true,
    };
    await runSparkImport(options, createCliReporter(cli.quiet));
    return 0;
  } catch (error) {
    return reportFailure('import', error);
  }
}

runCommand('import', main);
