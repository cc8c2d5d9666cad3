/**
 * Checks that a publish destination can take a model before any expensive work: a local directory
 * (a directory, or creatable under one; writable; on a real file system, not /proc or /sys) or an S3
 * root (a region, credentials, and a bucket that exists and answers). Nothing is created or written.
 * @module
 */
import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConfigInvalidError } from '../core/errors.js';
import { parseModelUri } from './location.js';
import { createS3Client } from './s3-client.js';

/**
 * Kernel pseudo file systems (statfs `f_type`, linux/magic.h): writes there never make a file, and
 * Node's recursive mkdir under /proc loops forever.
 */
const PSEUDO_FILE_SYSTEMS: Readonly<Record<number, string>> = {
  40864: 'proc',
  1650812274: 'sysfs',
  7377: 'devpts',
  2613483: 'cgroup',
  1667723888: 'cgroup2',
  1684170528: 'debugfs',
  1935894131: 'securityfs',
  1650812272: 'configfs',
  3405662737: 'bpf',
  1953653091: 'tracefs',
};

/** Options of {@link checkDestination}. */
export interface DestinationCheckOptions {
  /** client for an S3 destination; default {@link createS3Client} */
  s3?: S3Client | undefined;
  forcePathStyle?: boolean | undefined;
  /** what the destination is called in messages, e.g. `--out` */
  label?: string;
}

async function kindOf(path: string): Promise<'dir' | 'file' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    // A file where a directory of the path should be: reported for the ancestor that is the file.
    if (code === 'ENOTDIR') return 'missing';
    throw error;
  }
}

/**
 * A local directory a model can be written to: the path is a directory or does not exist yet, its
 * nearest existing ancestor is a writable directory on a real file system.
 * @throws ConfigInvalidError saying what is wrong with it
 */
export async function checkLocalDestination(dir: string, label = 'destination'): Promise<void> {
  let existing = dir;
  let kind = await kindOf(existing);
  if (kind === 'file') throw new ConfigInvalidError(`${label} ${dir} is a file, not a directory`);
  while (kind === 'missing' && dirname(existing) !== existing) {
    existing = dirname(existing);
    kind = await kindOf(existing);
  }
  if (kind !== 'dir')
    throw new ConfigInvalidError(`${label} ${dir} cannot be created: ${existing} is a file, not a directory`);
  const pseudo = PSEUDO_FILE_SYSTEMS[(await statfs(existing)).type];
  if (pseudo !== undefined) {
    throw new ConfigInvalidError(
      `${label} ${dir} is on the kernel's ${pseudo} file system, which holds no files: choose a directory on disk`,
    );
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK);
  } catch {
    throw new ConfigInvalidError(`${label} ${dir} is not writable (${existing} does not allow it)`);
  }
}

function s3Problem(error: unknown, bucket: string): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (status === 404 || e.name === 'NotFound' || e.name === 'NoSuchBucket')
    return `bucket ${bucket} does not exist (create it first, e.g. aws s3 mb s3://${bucket})`;
  if (status === 403)
    return `access to bucket ${bucket} is denied (the credentials need s3:ListBucket, s3:PutObject and s3:GetObject on it)`;
  if (status === 301 || e.name === 'PermanentRedirect')
    return `bucket ${bucket} is in another region than the one configured (set AWS_REGION to the bucket's region)`;
  return `bucket ${bucket} could not be reached: ${e.message ?? String(error)}`;
}

/**
 * An S3 root a model can be published to: a region is configured, credentials resolve, and the bucket
 * exists and answers HeadBucket. Publishing itself needs s3:PutObject, which only a write would prove.
 * @throws ConfigInvalidError naming the missing piece
 */
export async function checkS3Destination(uri: string, options: DestinationCheckOptions = {}): Promise<void> {
  const location = parseModelUri(uri);
  if (location.kind !== 's3') throw new ConfigInvalidError(`${uri} is not an s3:// URI`);
  const label = options.label ?? 'destination';
  const client = options.s3 ?? createS3Client({ forcePathStyle: options.forcePathStyle, maxAttempts: 1 });
  try {
    try {
      await client.config.region();
    } catch {
      throw new ConfigInvalidError(
        `${label} ${uri}: no AWS region is configured (set AWS_REGION, or a region in the AWS profile)`,
      );
    }
    try {
      await client.config.credentials();
    } catch (error) {
      throw new ConfigInvalidError(
        `${label} ${uri}: no AWS credentials found (${(error as Error).message.split('\n')[0]})`,
      );
    }
    try {
      await client.send(new HeadBucketCommand({ Bucket: location.bucket }));
    } catch (error) {
      throw new ConfigInvalidError(`${label} ${uri}: ${s3Problem(error, location.bucket)}`);
    }
  } finally {
    if (!options.s3) client.destroy();
  }
}

/**
 * Checks a destination of either kind.
 * @example
 * await checkDestination('s3://my-bucket/recommender', { label: '--s3' });
 */
export async function checkDestination(uri: string, options: DestinationCheckOptions = {}): Promise<void> {
  const location = parseModelUri(uri);
  if (location.kind === 'local') await checkLocalDestination(location.dir, options.label);
  else await checkS3Destination(uri, options);
}
