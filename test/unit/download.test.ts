import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { downloadObject, parseObjectUri } from '../../src/store/download.js';

describe('Function: downloadObject', () => {
  it('copies a local file and says how many bytes it wrote', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'download-'));
    try {
      await writeFile(join(dir, 'model.tar.gz'), 'tarball bytes');

      const bytes = await downloadObject(join(dir, 'model.tar.gz'), join(dir, 'copy'));

      expect({ bytes, text: await readFile(join(dir, 'copy'), 'utf8') }).toEqual({
        bytes: 13,
        text: 'tarball bytes',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Function: parseObjectUri', () => {
  it('splits s3://bucket/key and refuses a URI without a key', () => {
    expect(parseObjectUri('s3://models/jobs/j-1/output/model.tar.gz')).toEqual({
      bucket: 'models',
      key: 'jobs/j-1/output/model.tar.gz',
    });
    expect(() => parseObjectUri('s3://models')).toThrow(
      new ConfigInvalidError('s3://models is not an S3 object URI (s3://bucket/key)'),
    );
  });
});
