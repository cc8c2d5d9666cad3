/**
 * A SageMaker training tree (`/opt/ml`) on disk, as SageMaker lays it out for a job: the
 * hyperparameters file, the `training` channel as part files (the last one gzipped) and an optional
 * `videos` channel, and the empty directories the job writes to.
 * @module
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SAMPLE_EVENTS = join(ROOT, 'data/sample/interactions.csv');
export const SAMPLE_VIDEOS = join(ROOT, 'data/sample/videos.csv');

/** What goes into the tree. */
export interface OptMlTree {
  hyperparameters?: Record<string, string> | undefined;
  /** events CSV text (with header), split into `parts` part files */
  events: string;
  parts?: number;
  /** video metadata CSV text; no `videos` channel when undefined */
  videos?: string | undefined;
  /** create `checkpoints/` (SageMaker does when the job has a checkpoint config) */
  checkpoints?: boolean;
}

/** The first `rows` events of the shipped sample (all of them by default), header included. */
export async function sampleEvents(rows?: number): Promise<string> {
  const lines = (await readFile(SAMPLE_EVENTS, 'utf8')).trimEnd().split('\n');
  return `${lines.slice(0, rows === undefined ? undefined : rows + 1).join('\n')}\n`;
}

/** Splits a CSV (header on each part) into `parts` nearly equal pieces. */
function split(csv: string, parts: number): string[] {
  const [header, ...rows] = csv.trimEnd().split('\n');
  const size = Math.ceil(rows.length / parts);
  return Array.from(
    { length: parts },
    (_, p) => `${[header, ...rows.slice(p * size, (p + 1) * size)].join('\n')}\n`,
  );
}

/**
 * Writes the tree under `base`. Directories the job writes to are world-writable, as a container
 * user other than the file owner (the image runs as uid 1000) must write them.
 */
export async function writeOptMl(base: string, tree: OptMlTree): Promise<void> {
  const training = join(base, 'input', 'data', 'training');
  await mkdir(join(base, 'input', 'config'), { recursive: true });
  await mkdir(training, { recursive: true });
  if (tree.hyperparameters) {
    await writeFile(
      join(base, 'input', 'config', 'hyperparameters.json'),
      JSON.stringify(tree.hyperparameters),
    );
  }
  const parts = split(tree.events, tree.parts ?? 2);
  for (const [p, text] of parts.entries()) {
    const name = `part-${String(p).padStart(5, '0')}.csv`;
    if (p === parts.length - 1 && parts.length > 1)
      await writeFile(join(training, `${name}.gz`), gzipSync(text));
    else await writeFile(join(training, name), text);
  }
  if (tree.videos !== undefined) {
    await mkdir(join(base, 'input', 'data', 'videos'), { recursive: true });
    await writeFile(join(base, 'input', 'data', 'videos', 'videos.csv'), tree.videos);
  }
  const writable = ['model', 'output', ...(tree.checkpoints ? ['checkpoints'] : [])];
  for (const dir of writable) {
    await mkdir(join(base, dir), { recursive: true });
    await chmod(join(base, dir), 0o777);
  }
  await chmod(base, 0o755);
}
