/**
 * ALS checkpoints: after every finished iteration a fit writes its factors to `<dir>/<fit>.ckpt`
 * (through a temporary file and a rename, so the file is always whole, with a sha256 of the factors),
 * and a fit started with the same directory resumes from the last finished iteration. A checkpoint
 * belongs to one problem, named by a fingerprint of the matrix and the parameters that shape the
 * factors; any other fit ignores it. Resuming gives the same bits as a run never interrupted.
 *
 * SageMaker syncs `/opt/ml/checkpoints` with the job's checkpoint S3 URI, which is how a spot job
 * restarted on a new instance finds the files.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlsStart, IterationInfo } from '../src/als/index.js';
import type { AlsParams, Csr } from '../src/core/model-data.js';

const MAGIC = 'ALSCKPT1';
const FORMAT = 1;
const SUFFIX = '.ckpt';
const TEMPORARY = '.tmp-';

/** What a checkpoint file says about itself (the JSON header before the factors). */
export interface CheckpointHeader {
  format: number;
  fit: string;
  fingerprint: string;
  /** finished iterations */
  iteration: number;
  users: number;
  items: number;
  factors: number;
  losses: number[];
  /** sha256 (hex) of the factor bytes: user factors, then item factors */
  sha256: string;
}

/** The checkpoint of one fit: where it resumes and what to call after each iteration. */
export interface FitCheckpoint {
  file: string;
  /** the finished iterations to start from, when a matching checkpoint was found */
  start: AlsStart | undefined;
  /** one line on what was found: resumed, or why a file was ignored; undefined when there was none */
  note: string | undefined;
  /** writes the factors of a finished iteration (pass it as the ALS `onIteration`) */
  save(info: IterationInfo): Promise<void>;
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * The problem a checkpoint belongs to: sha256 over the matrix and the parameters that determine the
 * factors. `iterations` and `threads` are left out: a fit with more iterations continues one with
 * fewer, and the thread count never changes the bits.
 */
export function fitFingerprint(matrix: Csr, params: AlsParams): string {
  const { factors, regularization, alpha, cgSteps, seed } = params;
  const hash = createHash('sha256');
  const shape = { rows: matrix.rows, cols: matrix.cols };
  hash.update(JSON.stringify({ factors, regularization, alpha, cgSteps, seed, ...shape }));
  for (const part of [matrix.indptr, matrix.indices, matrix.data]) hash.update(bytesOf(part));
  return hash.digest('hex');
}

/** A fit's label (`ALS on all data`) as a file name (`all-data`). */
export function fitFileName(label: string): string {
  const slug = label
    .replace(/^ALS on /, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `${slug || 'fit'}${SUFFIX}`;
}

function factorsDigest(user: Float32Array, item: Float32Array): string {
  return createHash('sha256').update(bytesOf(user)).update(bytesOf(item)).digest('hex');
}

/** Writes header and factors to a temporary file, flushes it to disk, then renames it into place. */
async function writeCheckpoint(
  file: string,
  header: CheckpointHeader,
  user: Float32Array,
  item: Float32Array,
): Promise<void> {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, MAGIC.length);
  const temporary = `${file}${TEMPORARY}${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temporary, 'w');
  try {
    for (const part of [prefix, json, bytesOf(user), bytesOf(item)]) {
      let offset = 0;
      while (offset < part.byteLength) {
        const { bytesWritten } = await handle.write(part, offset, part.byteLength - offset);
        offset += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    await rename(temporary, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

type Read =
  | { kind: 'missing' }
  | { kind: 'unusable'; reason: string }
  | { kind: 'found'; header: CheckpointHeader; user: Float32Array; item: Float32Array };

/** Reads and verifies a checkpoint file: magic, header, sizes and the factors' sha256. */
export async function readCheckpoint(file: string): Promise<Read> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  const start = MAGIC.length + 4;
  if (bytes.length < start || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    return { kind: 'unusable', reason: 'not a checkpoint file' };
  }
  const length = bytes.readUInt32LE(MAGIC.length);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', start, start + length)) as CheckpointHeader;
  } catch {
    return { kind: 'unusable', reason: 'unreadable header' };
  }
  const userBytes = header.users * header.factors * 4;
  const itemBytes = header.items * header.factors * 4;
  const body = start + length;
  if (header.format !== FORMAT || bytes.length !== body + userBytes + itemBytes) {
    return { kind: 'unusable', reason: `format ${header.format} or size ${bytes.length} does not match` };
  }
  // Copies, so the arrays are aligned whatever the header length.
  const user = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset + body, bytes.byteOffset + body + userBytes),
  );
  const item = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset + body + userBytes, bytes.byteOffset + body + userBytes + itemBytes),
  );
  if (factorsDigest(user, item) !== header.sha256) {
    return { kind: 'unusable', reason: 'its factors do not match their sha256' };
  }
  return { kind: 'found', header, user, item };
}

/** Removes temporary files a killed writer left behind. */
async function removeLeftovers(dir: string, file: string): Promise<void> {
  const base = file.slice(dir.length + 1);
  for (const name of await readdir(dir)) {
    if (name.startsWith(`${base}${TEMPORARY}`)) await rm(join(dir, name), { force: true });
  }
}

function startOf(
  read: Read,
  fingerprint: string,
  params: AlsParams,
  file: string,
): { start: AlsStart | undefined; note: string | undefined } {
  if (read.kind === 'missing') return { start: undefined, note: undefined };
  if (read.kind === 'unusable')
    return { start: undefined, note: `Ignoring checkpoint ${file}: ${read.reason}` };
  const { header } = read;
  if (header.fingerprint !== fingerprint) {
    return {
      start: undefined,
      note: `Ignoring checkpoint ${file}: it belongs to other data or parameters`,
    };
  }
  if (header.iteration > params.iterations) {
    return {
      start: undefined,
      note: `Ignoring checkpoint ${file}: it is at iteration ${header.iteration}, past the ${params.iterations} asked for`,
    };
  }
  return {
    start: {
      iteration: header.iteration,
      userFactors: read.user,
      itemFactors: read.item,
      losses: header.losses,
    },
    note: `Resuming from checkpoint ${file}: iteration ${header.iteration} of ${params.iterations}`,
  };
}

/**
 * Opens the checkpoint of one fit in `dir` (created if missing): the start to resume from when a
 * matching checkpoint exists, and the writer for each finished iteration.
 * @param dir - checkpoint directory, e.g. `/opt/ml/checkpoints`
 * @param label - the fit's label, e.g. `ALS on all data` (one file per fit)
 * @param matrix - the matrix the fit trains on
 * @param params - the fit's parameters
 * @example
 * const checkpoint = await openFitCheckpoint('/opt/ml/checkpoints', 'ALS on all data', matrix, params);
 * await trainAls(matrix, params, { start: checkpoint.start, onIteration: (info) => checkpoint.save(info) });
 */
export async function openFitCheckpoint(
  dir: string,
  label: string,
  matrix: Csr,
  params: AlsParams,
): Promise<FitCheckpoint> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, fitFileName(label));
  await removeLeftovers(dir, file);
  const fingerprint = fitFingerprint(matrix, params);
  const { start, note } = startOf(await readCheckpoint(file), fingerprint, params, file);
  const losses: number[] = [...(start?.losses ?? [])];
  return {
    file,
    start,
    note,
    async save(info) {
      if (info.loss !== undefined) losses.push(info.loss);
      const { user, item } = info.factors;
      const header: CheckpointHeader = {
        format: FORMAT,
        fit: label,
        fingerprint,
        iteration: info.iteration,
        users: matrix.rows,
        items: matrix.cols,
        factors: params.factors,
        losses,
        sha256: factorsDigest(user, item),
      };
      await writeCheckpoint(file, header, user, item);
    },
  };
}
