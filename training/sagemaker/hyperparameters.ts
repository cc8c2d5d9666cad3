/**
 * SageMaker hyperparameters are the `npm run train` options: `{"factors": "64", "eval": "false"}` is
 * `--factors 64 --no-eval`. Names are the options' long names without dashes (kebab-case, `eval` for
 * `--no-eval`), values are strings (booleans `"true"`/`"false"`). The options that name inputs and
 * outputs are not hyperparameters: a job reads its channels and writes /opt/ml/model.
 * One table serves both directions: the submitter turns the options given on its command line into
 * hyperparameters, and the container turns them back into the same options.
 * @module
 */
import type { Command, Option } from 'commander';
import { z } from 'zod';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { buildProgram } from '../cli-options.js';

/** Options a job does not take as hyperparameters, and why. */
export const NOT_HYPERPARAMETERS: Readonly<Record<string, string>> = {
  interactions: 'a job reads its events from the training channel',
  videos: 'a job reads video metadata from the videos channel',
  out: 'a job writes its model to /opt/ml/model',
  'sagemaker-tarball': 'SageMaker packs /opt/ml/model into model.tar.gz itself',
  quiet: 'a job always logs its progress',
};

/** `cgSteps` -> `cg-steps`. */
const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The options of each hyperparameter name (two for a flag with a `--no-` twin, e.g. `header`). */
function optionsByName(program: Command): Map<string, Option[]> {
  const byName = new Map<string, Option[]>();
  for (const option of program.options) {
    const name = kebab(option.attributeName());
    if (name in NOT_HYPERPARAMETERS) continue;
    byName.set(name, [...(byName.get(name) ?? []), option]);
  }
  return byName;
}

const takesValue = (option: Option): boolean => option.required || option.optional;

/** Every hyperparameter name a job accepts, sorted. */
export function hyperparameterNames(program: Command = buildProgram()): string[] {
  return [...optionsByName(program).keys()].sort();
}

/** The hyperparameters file: an object of strings (numbers and booleans, as SM_HPS may carry them, become strings). */
const hyperparametersSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value)),
  { error: 'must be a JSON object of string values' },
);

/**
 * Parses hyperparameters JSON (the file's text or SM_HPS).
 * @throws ConfigInvalidError naming the source for invalid JSON or a value that is not a string
 */
export function parseHyperparameters(text: string, source: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigInvalidError(`${source} is not valid JSON`, { cause: error });
  }
  const parsed = hyperparametersSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? ` (at "${issue.path.join('.')}")` : '';
    throw new ConfigInvalidError(`${source} ${issue?.message ?? 'is invalid'}${at}`);
  }
  return parsed.data;
}

function flagArgs(name: string, value: string, options: readonly Option[]): string[] {
  if (value !== 'true' && value !== 'false') {
    throw new ConfigInvalidError(`hyperparameter ${name} must be "true" or "false", got "${value}"`);
  }
  const wanted = options.find((o) => o.negate === (value === 'false'));
  return wanted ? [wanted.long as string] : [];
}

/**
 * Turns hyperparameters into the command-line arguments of `npm run train`.
 * @throws ConfigInvalidError for an unknown name (listing the known ones), an input or output option,
 *   or a flag whose value is not `true`/`false`
 * @example
 * hyperparameterArgs({ factors: '64', eval: 'false' }); // ['--factors', '64', '--no-eval']
 */
export function hyperparameterArgs(
  hyperparameters: Readonly<Record<string, string>>,
  program: Command = buildProgram(),
): string[] {
  const byName = optionsByName(program);
  const args: string[] = [];
  for (const [name, value] of Object.entries(hyperparameters)) {
    const why = NOT_HYPERPARAMETERS[name];
    if (why !== undefined) throw new ConfigInvalidError(`hyperparameter ${name} is not allowed: ${why}`);
    const options = byName.get(name);
    if (!options) {
      throw new ConfigInvalidError(
        `unknown hyperparameter ${JSON.stringify(name)} (known: ${[...byName.keys()].sort().join(', ')})`,
      );
    }
    const valued = options.find(takesValue);
    args.push(...(valued ? [valued.long as string, value] : flagArgs(name, value, options)));
  }
  return args;
}

/**
 * The hyperparameters for a job from a parsed `npm run train` command line: every hyperparameter
 * option given on it (defaults are left to the job, so `threads` follows the training instance).
 * @example
 * toHyperparameters(program.parse(['--factors', '64', '--no-eval'], { from: 'user' })); // { factors: '64', eval: 'false' }
 */
export function toHyperparameters(program: Command): Record<string, string> {
  const values = program.opts();
  const out: Record<string, string> = {};
  // The names of the training program alone: the submitter's own options are not hyperparameters.
  for (const name of hyperparameterNames()) {
    const key = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (program.getOptionValueSource(key) !== 'cli') continue;
    out[name] = String(values[key]);
  }
  return out;
}
