/**
 * `npm run artifact:convert -- --from <uri> [--version <id>] [--to <uri>]`: rewrites a model published
 * in format 1 (one model.bin, every user loaded at start) as format 2 (items.bin + users.bin, users read
 * on demand), with the same factors, histories, popularity, metadata, params and metrics, and publishes
 * it (pointer last). Servers load format 1 too, converting it in memory at every start; converting
 * once makes starts fast and lets large user sides stay on disk or in S3.
 * @module
 */
import { Command } from 'commander';
import {
  decodeV1Model,
  encodeModel,
  formatVersionOf,
  MANIFEST_FILE,
  pointerFor,
  V1_FORMAT_VERSION,
} from '../src/artifact/index.js';
import { InputInvalidError, RecommenderError } from '../src/core/errors.js';
import { loadConfig } from '../src/serving/index.js';
import { openArtifactSource, type PublishResult, publishModel } from '../src/store/index.js';

/** What {@link convertModel} did. */
export interface ConvertResult {
  from: string;
  fromVersion: string;
  published: PublishResult;
}

/**
 * Converts the version `latest.json` names (or `version`) at `from` and publishes it at `to`.
 * @throws InputInvalidError when the version is already format 2; ArtifactInvalidError when it fails verification
 */
export async function convertModel(
  from: string,
  to: string,
  options: { version?: string | undefined; forcePathStyle?: boolean } = {},
): Promise<ConvertResult> {
  const source = openArtifactSource(from, { forcePathStyle: options.forcePathStyle });
  let pointer = options.version === undefined ? undefined : pointerFor(options.version);
  if (!pointer) {
    const read = await source.readPointer();
    if (!read.changed) throw new InputInvalidError(`No model published at ${from}`);
    if (read.pointer === undefined) throw read.error;
    pointer = read.pointer;
  }
  const text = await source.readText(pointer.manifest);
  if (text === undefined) throw new InputInvalidError(`${source.uri}/${pointer.manifest} does not exist`);
  const manifest: unknown = JSON.parse(text);
  if (formatVersionOf(manifest) !== V1_FORMAT_VERSION) {
    throw new InputInvalidError(`${source.uri}/${pointer.manifest} is already format 2: nothing to convert`);
  }
  const v1 = decodeV1Model(manifest, await readBundle(source, pointer.manifest, manifest));
  const artifact = encodeModel(v1.model, {
    params: v1.manifest.params,
    datasetDigest: v1.manifest.dataset.digest,
    metrics: {
      ...v1.manifest.metrics,
      convertedFrom: { formatVersion: V1_FORMAT_VERSION, version: v1.version },
    },
    createdAt: new Date(v1.manifest.createdAt),
    ...(v1.manifest.counts.events === undefined ? {} : { events: v1.manifest.counts.events }),
  });
  await source.close();
  return {
    from: source.uri,
    fromVersion: v1.version,
    published: await publishModel(to, artifact, {}, { forcePathStyle: options.forcePathStyle }),
  };
}

async function readBundle(
  source: ReturnType<typeof openArtifactSource>,
  manifestPath: string,
  manifest: unknown,
): Promise<Uint8Array> {
  const bundle = (manifest as { bundle: { file: string; bytes: number } }).bundle;
  const target = new Uint8Array(bundle.bytes);
  await source.readInto(
    `${manifestPath.slice(0, manifestPath.length - MANIFEST_FILE.length)}${bundle.file}`,
    target,
  );
  return target;
}

async function main(): Promise<void> {
  const options = new Command('artifact:convert')
    .description('rewrite a format-1 model as format 2 and publish it (pointer last)')
    .requiredOption('--from <uri>', 's3://bucket/prefix or a directory holding the format-1 model')
    .option('--to <uri>', 'where to publish the format-2 model (default: the same root)')
    .option('--version <id>', 'convert this version instead of the one latest.json names')
    .parse()
    .opts<{ from: string; to?: string; version?: string }>();
  const config = loadConfig();
  const result = await convertModel(options.from, options.to ?? options.from, {
    version: options.version,
    forcePathStyle: config.s3ForcePathStyle,
  });
  console.log(
    `Converted ${result.fromVersion} (format 1) at ${result.from} -> ${result.published.version} (format 2) at ${result.published.uri}`,
  );
}

if (process.argv[1]?.endsWith('convert.ts')) {
  main().catch((error: unknown) => {
    console.error(
      error instanceof RecommenderError
        ? error.message
        : error instanceof Error
          ? error.message
          : String(error),
    );
    process.exit(1);
  });
}
