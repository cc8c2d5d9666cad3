import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadBucketCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { checkDestination, checkLocalDestination, checkS3Destination } from '../../src/store/index.js';

describe('Function: checkLocalDestination', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dest-'));
    await writeFile(join(dir, 'file'), 'x');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts an existing directory and a path to be created under a writable one', async () => {
    await expect(checkLocalDestination(dir)).resolves.toBeUndefined();
    await expect(checkLocalDestination(join(dir, 'a', 'b', 'c'))).resolves.toBeUndefined();
    await expect(checkDestination(join(dir, 'models'))).resolves.toBeUndefined();
  });

  it('refuses a file, a path under a file, and kernel pseudo file systems, naming them', async () => {
    const file = join(dir, 'file');
    await expect(checkLocalDestination(file, '--out')).rejects.toThrow(
      new ConfigInvalidError(`--out ${file} is a file, not a directory`),
    );
    await expect(checkLocalDestination(join(file, 'x'), '--out')).rejects.toThrow(
      `--out ${join(file, 'x')} cannot be created: ${file} is a file, not a directory`,
    );
    await expect(checkLocalDestination('/proc/x/y')).rejects.toThrow(
      "destination /proc/x/y is on the kernel's proc file system",
    );
    await expect(checkLocalDestination('/sys/fs/models')).rejects.toThrow(
      "on the kernel's sysfs file system",
    );
  });
});

describe('Function: checkS3Destination', () => {
  const failing = (status: number, name: string): S3ServiceException =>
    new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
  const client = (): S3Client =>
    new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

  it('passes when the bucket answers HeadBucket', async () => {
    const s3 = client();
    mockClient(s3).on(HeadBucketCommand, { Bucket: 'models' }).resolves({});
    await expect(checkS3Destination('s3://models/recommender', { s3 })).resolves.toBeUndefined();
  });

  it.each([
    [404, 'NotFound', 'bucket models does not exist (create it first, e.g. aws s3 mb s3://models)'],
    [403, 'Forbidden', 'access to bucket models is denied'],
    [301, 'PermanentRedirect', 'bucket models is in another region than the one configured'],
    [500, 'InternalError', 'bucket models could not be reached: InternalError'],
  ])('says what a HeadBucket %i means', async (status, name, message) => {
    const s3 = client();
    mockClient(s3).on(HeadBucketCommand).rejects(failing(status, name));
    await expect(checkS3Destination('s3://models/recommender', { s3, label: '--s3' })).rejects.toThrow(
      `--s3 s3://models/recommender: ${message}`,
    );
  });

  it('says when no region or no credentials are configured', async () => {
    const noRegion = new S3Client({
      region: (): Promise<string> => Promise.reject(new Error('Region is missing')),
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const noCredentials = new S3Client({
      region: 'us-east-1',
      credentials: () => Promise.reject(new Error('Could not load credentials from any providers\nmore')),
    });
    await expect(checkS3Destination('s3://models/x', { s3: noRegion })).rejects.toThrow(
      'destination s3://models/x: no AWS region is configured',
    );
    await expect(checkDestination('s3://models/x', { s3: noCredentials })).rejects.toThrow(
      'destination s3://models/x: no AWS credentials found (Could not load credentials from any providers)',
    );
  });

  it('refuses a URI that is not s3://', async () => {
    await expect(checkS3Destination('/tmp/models')).rejects.toThrow('/tmp/models is not an s3:// URI');
  });
});
