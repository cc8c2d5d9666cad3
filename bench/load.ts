/**
 * `npm run bench:load [-- --videos 100000 --users 50000 --reps 5]`
 *
 * Model load time, the part of a cold start that grows with the model: one version (synthetic, format
 * 2, generated once into bench/.data) loaded as a server loads it (`loadHandle`: items.bin read and
 * verified into shared scoring memory), with users on demand and with users preloaded, from a local
 * directory and from the S3 emulator (moto on loopback). Prints medians; asserts nothing.
 * @module
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { POINTER_FILE, pointerSchema } from '../src/artifact/index.js';
import { loadHandle } from '../src/serving/index.js';
import { openArtifactSource } from '../src/store/index.js';
import { startMoto } from '../tools/moto.js';
import { median } from './load-tools.js';
import { generateScaleModel, SCALE_DEFAULTS } from './scale-model.js';

const { values } = parseArgs({
  options: {
    videos: { type: 'string', default: '100000' },
    users: { type: 'string', default: '50000' },
    reps: { type: 'string', default: '5' },
  },
});
const shape = { ...SCALE_DEFAULTS, videos: Number(values.videos), users: Number(values.users), groups: 200 };
const dir = join(
  fileURLToPath(new URL('.', import.meta.url)),
  '.data',
  `load-${shape.videos}x${shape.users}`,
);
if (!existsSync(join(dir, POINTER_FILE))) await generateScaleModel(dir, shape, () => {});

async function uploadDir(client: S3Client, bucket: string, root: string, prefix = ''): Promise<void> {
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const key = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await uploadDir(client, bucket, root, key);
    else
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: `model/${key}`, Body: readFileSync(join(root, key)) }),
      );
  }
}

async function timeLoads(uri: string, preloadUsersBytes: number): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < Number(values.reps); r++) {
    const source = openArtifactSource(uri, { forcePathStyle: true });
    const started = performance.now();
    const read = await source.readPointer();
    if (!read.changed || !read.pointer) throw new Error('no pointer');
    await loadHandle(source, pointerSchema.parse(read.pointer), false, { slots: 2, preloadUsersBytes });
    times.push(performance.now() - started);
  }
  return times;
}

const pointer = pointerSchema.parse(JSON.parse(readFileSync(join(dir, POINTER_FILE), 'utf8')));
const manifest = JSON.parse(readFileSync(join(dir, pointer.manifest), 'utf8')) as {
  items: { bytes: number };
  users: { bytes: number };
};
console.log(
  `bench:load  ${shape.videos} videos x ${shape.users} users x ${shape.factors} factors: items.bin ${(manifest.items.bytes / 2 ** 20).toFixed(1)} MiB, users.bin ${(manifest.users.bytes / 2 ** 20).toFixed(1)} MiB; median of ${values.reps} (min)`,
);
const moto = await startMoto();
try {
  const client = new S3Client({ forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
  await uploadDir(client, 'bench', dir);
  for (const [where, uri] of [
    ['directory', dir],
    ['S3 emulator', 's3://bench/model'],
  ] as const) {
    for (const [users, preload] of [
      ['users on demand', 0],
      ['users preloaded', Number.POSITIVE_INFINITY],
    ] as const) {
      const ms = await timeLoads(uri, preload);
      console.log(
        `  ${where.padEnd(12)} ${users.padEnd(16)} ${median(ms).toFixed(0).padStart(6)} ms (${Math.min(...ms).toFixed(0)})`,
      );
    }
  }
} finally {
  await moto.stop();
}
