/**
 * Reading a Spark MLlib `ALSModel` as `model.save(path)` writes it: `metadata/part-00000` (one JSON line:
 * class, sparkVersion, paramMap, rank), and the Parquet folders `userFactors/` and `itemFactors/`, each
 * row `id: int` (not null) and `features: array<float>` (Parquet: `optional group features (LIST) {
 * repeated group list { required float element } }`). The folder may be local or `s3://`.
 * @module
 */
import { InputInvalidError } from '../src/core/errors.js';
import { type InputOptions, listInputParts } from './input-parts.js';
import { openParquet } from './parquet-file.js';

/** The class name Spark writes in the metadata of an ALS model. */
export const SPARK_ALS_CLASS = 'org.apache.spark.ml.recommendation.ALSModel';

/** One side's factors: Spark's integer ids and their vectors, row-major, in file order. */
export interface SparkFactors {
  ids: Int32Array;
  /** ids.length x rank */
  factors: Float32Array;
}

/** A Spark ALS model read into memory. */
export interface SparkAlsModel {
  uri: string;
  rank: number;
  /** the metadata JSON as Spark wrote it (absent when the folder has no metadata/) */
  metadata: Record<string, unknown> | undefined;
  users: SparkFactors;
  items: SparkFactors;
}

function joinUri(root: string, child: string): string {
  return `${root.replace(/\/+$/, '')}/${child}`;
}

async function readMetadata(
  uri: string,
  options: InputOptions,
): Promise<Record<string, unknown> | undefined> {
  let parts: Awaited<ReturnType<typeof listInputParts>>;
  try {
    parts = await listInputParts(joinUri(uri, 'metadata'), options);
  } catch {
    return undefined;
  }
  const part = parts[0] as (typeof parts)[number];
  const bytes = await part.open();
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of bytes.chunks()) chunks.push(chunk);
  } finally {
    await bytes.close();
  }
  const text = Buffer.concat(chunks).toString('utf8').trim().split('\n')[0] ?? '';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputInvalidError(
      `${part.name} is not Spark model metadata (JSON): ${(error as Error).message}`,
    );
  }
  const metadata = json as Record<string, unknown>;
  if (metadata.class !== SPARK_ALS_CLASS) {
    throw new InputInvalidError(
      `${part.name} describes ${String(metadata.class)}, not a Spark ALS model (${SPARK_ALS_CLASS})`,
    );
  }
  return metadata;
}

/** Growing id and factor arrays. */
class FactorRows {
  ids = new Int32Array(1024);
  factors: Float32Array;
  count = 0;

  constructor(readonly rank: number) {
    this.factors = new Float32Array(1024 * rank);
  }

  add(id: number, vector: ArrayLike<number>): void {
    if (this.count === this.ids.length) {
      const ids = new Int32Array(this.ids.length * 2);
      ids.set(this.ids);
      this.ids = ids;
      const factors = new Float32Array(this.factors.length * 2);
      factors.set(this.factors);
      this.factors = factors;
    }
    this.ids[this.count] = id;
    this.factors.set(vector, this.count * this.rank);
    this.count++;
  }

  done(): SparkFactors {
    return { ids: this.ids.slice(0, this.count), factors: this.factors.slice(0, this.count * this.rank) };
  }
}

function checkRow(name: string, row: number, id: unknown, vector: unknown, rank: number | undefined): number {
  if (typeof id !== 'number' || !Number.isInteger(id)) {
    throw new InputInvalidError(`${name} row ${row}: id ${String(id)} is not an integer`);
  }
  if (!Array.isArray(vector) && !(vector instanceof Float32Array) && !(vector instanceof Float64Array)) {
    throw new InputInvalidError(`${name} row ${row}: features of id ${id} are missing`);
  }
  const values = vector as ArrayLike<unknown>;
  if (rank !== undefined && values.length !== rank) {
    throw new InputInvalidError(
      `${name} row ${row}: id ${id} has ${values.length} features, the model's rank is ${rank}`,
    );
  }
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) {
      throw new InputInvalidError(`${name} row ${row}: id ${id} has a feature that is not a finite number`);
    }
  }
  return values.length;
}

async function readFactors(
  uri: string,
  rank: number | undefined,
  options: InputOptions,
): Promise<SparkFactors> {
  const parts = (await listInputParts(uri, options)).filter((p) => p.format === 'parquet');
  if (parts.length === 0) throw new InputInvalidError(`${uri} holds no Parquet part files`);
  let rows: FactorRows | undefined = rank === undefined ? undefined : new FactorRows(rank);
  for (const part of parts) {
    const pq = await openParquet(part);
    try {
      const id = pq.names.indexOf('id');
      const features = pq.names.indexOf('features');
      if (id < 0 || features < 0 || pq.kinds[features] !== 'list') {
        throw new InputInvalidError(
          `${part.name} is not Spark ALS factors (id: int, features: array<float>); columns: ${pq.names.join(', ')}`,
        );
      }
      for (let g = 0; g < pq.groupRows.length; g++) {
        const group = await pq.readGroup(g, ['id', 'features']);
        const ids = group.cells.get('id') as ArrayLike<unknown>;
        const vectors = group.cells.get('features') as ArrayLike<unknown>;
        for (let i = 0; i < group.rows; i++) {
          const length = checkRow(part.name, group.start + i + 1, ids[i], vectors[i], rows?.rank);
          rows ??= new FactorRows(length);
          rows.add(ids[i] as number, vectors[i] as ArrayLike<number>);
        }
      }
    } finally {
      await pq.close();
    }
  }
  return (rows ?? new FactorRows(rank ?? 1)).done();
}

function checkDistinct(uri: string, side: SparkFactors): void {
  const seen = new Set<number>();
  for (const id of side.ids) {
    if (seen.has(id)) throw new InputInvalidError(`${uri}: id ${id} has two factor rows`);
    seen.add(id);
  }
}

/**
 * Reads a saved Spark ALS model.
 * @param uri - the folder `model.save()` wrote: local or `s3://bucket/prefix`
 * @param options - S3 client for an s3:// folder
 * @throws InputInvalidError when a part is missing or not in Spark's schema, the metadata names another
 *   class, a vector's length differs from the rank, an id repeats, or a side has no rows
 * @example
 * const spark = await readSparkAls('s3://lake/models/als-2026-12-01');
 * spark.rank; // 64
 */
export async function readSparkAls(uri: string, options: InputOptions = {}): Promise<SparkAlsModel> {
  const metadata = await readMetadata(uri, options);
  const declared = typeof metadata?.rank === 'number' ? metadata.rank : undefined;
  const users = await readFactors(joinUri(uri, 'userFactors'), declared, options);
  const items = await readFactors(joinUri(uri, 'itemFactors'), declared, options);
  for (const [side, name] of [
    [users, 'userFactors'],
    [items, 'itemFactors'],
  ] as const) {
    if (side.ids.length === 0) throw new InputInvalidError(`${joinUri(uri, name)} has no factor rows`);
    checkDistinct(joinUri(uri, name), side);
  }
  const rank = declared ?? users.factors.length / users.ids.length;
  if (items.factors.length / items.ids.length !== rank) {
    throw new InputInvalidError(
      `${uri}: user factors have rank ${rank}, item factors ${items.factors.length / items.ids.length}`,
    );
  }
  return { uri, rank, metadata, users, items };
}
