import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishModel } from '../../src/store/publish.js';
import { FIXTURE_VERSION, fixtureArtifact } from '../helpers/fixture-model.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tsx training/export.ts ...args` (what `npm run export -- ...args` runs). */
function runExport(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['training/export.ts', ...args], { cwd: ROOT, env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let work: string;
let model: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'export-cli-'));
  model = join(work, 'model');
  await publishModel(model, fixtureArtifact());
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('CLI: npm run export', () => {
  it('writes a Parquet data set with progress and a summary', async () => {
    // Act
    const run = await runExport([
      '--model',
      model,
      '--out',
      join(work, 'out'),
      '--k',
      '2',
      '--format',
      'parquet',
    ]);

    // Assess
    const dataset = join(work, 'out', `recommendations-${FIXTURE_VERSION}-k2`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Exporting 3 users of model ${FIXTURE_VERSION}`);
    expect(run.stdout).toContain('3/3 users');
    expect(run.stdout).toContain(`Exported 3 users, 6 recommendations`);
    expect(run.stdout).toContain(`in 1 parts) of ${FIXTURE_VERSION} to ${dataset}`);
    expect((await readdir(dataset)).sort()).toEqual(['_SUCCESS', 'part-00000.parquet']);
  });

  it.each([
    [
      ['--format', 'parquet', '--gzip'],
      '--gzip is for JSON Lines only: Parquet parts are already compressed (Snappy)',
    ],
    [['--format', 'orc'], '--format must be one of jsonl, parquet, got orc'],
    [['--row-group-rows', '1000'], '--part-users and --row-group-rows are for --format parquet only'],
  ])('exits 2 for %o and writes nothing', async (args, message) => {
    // Act
    const run = await runExport(['--model', model, '--out', join(work, 'bad'), ...args]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`export: error: ${message}\n`);
    expect(existsSync(join(work, 'bad'))).toBe(false);
  });
});
