/**
 * A Spark MLlib ALSModel folder as `model.save(path)` writes it (Spark 3.5), with factor Parquet files
 * in Spark's exact schema, written by a real Parquet writer (hyparquet-writer):
 *
 *   message spark_schema {
 *     required int32 id;
 *     optional group features (LIST) { repeated group list { required float element; } }
 *   }
 *
 * plus Spark's row-metadata key, `_SUCCESS` markers, `.crc` side files and the `metadata/part-00000` JSON line.
 * @module
 */
import { join } from 'node:path';
import { parquetBytes, writeText } from './parquet.js';

/** Factors by Spark id. */
export type SparkRows = [number, number[]][];

/** The Spark SQL schema Spark stores in each part's key-value metadata. */
const ROW_METADATA = JSON.stringify({
  type: 'struct',
  fields: [
    { name: 'id', type: 'integer', nullable: false, metadata: {} },
    {
      name: 'features',
      type: { type: 'array', elementType: 'float', containsNull: false },
      nullable: true,
      metadata: {},
    },
  ],
});

/** The bytes of one factor part in Spark's schema. */
export function sparkFactorPart(rows: SparkRows, rowGroupSize = 1_000_000): Uint8Array {
  return parquetBytes({
    rowGroupSize,
    columns: [
      { name: 'id', data: rows.map(([id]) => id) },
      { name: 'features', data: rows.map(([, features]) => features) },
    ],
    schema: [
      { name: 'spark_schema', num_children: 2 },
      { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
      {
        name: 'features',
        repetition_type: 'OPTIONAL',
        num_children: 1,
        converted_type: 'LIST',
        logical_type: { type: 'LIST' },
      },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
    ],
    kvMetadata: [
      { key: 'org.apache.spark.version', value: '3.5.1' },
      { key: 'org.apache.spark.sql.parquet.row.metadata', value: ROW_METADATA },
    ],
  });
}

/** Spark's metadata line for an ALSModel of `rank`. */
export function sparkMetadata(
  rank: number,
  className = 'org.apache.spark.ml.recommendation.ALSModel',
): string {
  return `${JSON.stringify({
    class: className,
    timestamp: 1764547200000,
    sparkVersion: '3.5.1',
    uid: 'ALS_4b1c8f0e2a7d',
    paramMap: {
      userCol: 'userId',
      itemCol: 'videoId',
      predictionCol: 'prediction',
      coldStartStrategy: 'drop',
      blockSize: 4096,
    },
    defaultParamMap: {
      userCol: 'user',
      itemCol: 'item',
      predictionCol: 'prediction',
      coldStartStrategy: 'nan',
      blockSize: 4096,
    },
    rank,
  })}\n`;
}

/** Files of a saved model: path below the model folder -> bytes. */
export function sparkModelFiles(
  rank: number,
  users: SparkRows,
  items: SparkRows,
  options: { partsPerSide?: number; metadata?: string | false } = {},
): Record<string, Uint8Array | string> {
  const files: Record<string, Uint8Array | string> = {};
  if (options.metadata !== false) {
    files['metadata/part-00000'] = options.metadata ?? sparkMetadata(rank);
    files['metadata/_SUCCESS'] = '';
    files['metadata/.part-00000.crc'] = 'crc';
  }
  const parts = options.partsPerSide ?? 2;
  for (const [side, rows] of [
    ['userFactors', users],
    ['itemFactors', items],
  ] as const) {
    const size = Math.ceil(rows.length / parts);
    for (let p = 0; p < parts; p++) {
      const name = `part-${String(p).padStart(5, '0')}-1f0c6e4a-9d2b-4f57-8c1e-3b7d2a9e5f10-c000.snappy.parquet`;
      files[`${side}/${name}`] = sparkFactorPart(rows.slice(p * size, (p + 1) * size));
      files[`${side}/.${name}.crc`] = 'crc';
    }
    files[`${side}/_SUCCESS`] = '';
  }
  return files;
}

/** Writes a saved model under `dir`. */
export function writeSparkModel(dir: string, files: Record<string, Uint8Array | string>): void {
  for (const [path, body] of Object.entries(files)) writeText(join(dir, path), body);
}
