/**
 * How our commands (`train`, `import`, `export`) start and end: commander parses (its own errors and
 * --help are printed by it), and any failure becomes one line `<name>: error: <message>` on stderr with
 * exit code 2 for bad options and 1 for anything else, never a stack trace.
 * @module
 */
import type { Command } from 'commander';
import { ConfigInvalidError } from '../src/core/errors.js';

/**
 * Parses `argv` into `program` (which must have `exitOverride()`).
 * @returns undefined when the command should go on, else the exit code (0 after --help or --version)
 */
export function parseArgs(program: Command, argv: readonly string[]): number | undefined {
  try {
    program.parse([...argv]);
    return undefined;
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
}

/** Prints a failure as one line and returns its exit code: 2 for bad options, 1 otherwise. */
export function reportFailure(name: string, error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${name}: error: ${message}\n`);
  return error instanceof ConfigInvalidError ? 2 : 1;
}

/** Runs a command's `main` on this process's arguments and sets the exit code from it. */
export function runCommand(name: string, main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = reportFailure(name, error);
    },
  );
}
