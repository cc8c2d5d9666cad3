import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readlink, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactInvalidError } from '../../src/core/errors.js';
import { type ArtifactSource, localSource, parsePointer } from '../../src/store/source.js';

const VERSION = '20250102T030405Z-0123abcd';
const POINTER = `${JSON.stringify({ version: VERSION, manifest: `models/${VERSION}/manifest.json` })}\n`;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

let root: string;
let source: ArtifactSource;

async function put(path: string, content: string | Uint8Array): Promise<void> {
  const file = join(root, ...path.split('/'));
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, content);
}

async function failure(run: () => Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await run();
  } catch (error) {
    return { kind: (error as Error).constructor.name, message: (error as Error).message };
  }
  return { kind: 'none', message: 'accepted' };
}

/** The files under `dir` this process holds open (Linux). */
async function openFilesUnder(dir: string): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((target) => target.startsWith(dir)).sort();
}

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) % 256);

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'source-'));
  source = localSource({ kind: 'local', dir: root, uri: root });
});
afterEach(async () => {
  await source.close();
  await rm(root, { recursive: true, force: true });
});

describe('Function: parsePointer', () => {
  it('accepts a pointer into the root and refuses one that leaves it or breaks the schema', () => {
    // Prepare
    const texts = [
      POINTER,
      '{"version":',
      JSON.stringify({ version: 'latest', manifest: 'x' }),
      JSON.stringify({ version: VERSION, manifest: '../other/manifest.json' }),
      JSON.stringify({ version: VERSION, manifest: '/etc/manifest.json' }),
      JSON.stringify({ version: VERSION, manifest: 'models/../../manifest.json' }),
    ];

    // Act
    const results = texts.map((text) => {
      try {
        return parsePointer(text, 's3://b/p');
      } catch (error) {
        return error instanceof ArtifactInvalidError ? error.message : 'wrong error';
      }
    });

    // Assess
    expect(results).toEqual([
      { version: VERSION, manifest: `models/${VERSION}/manifest.json` },
      's3://b/p/latest.json is not valid JSON',
      's3://b/p/latest.json is invalid: version: must look like 20250101T102000Z-1a2b3c4d',
      's3://b/p/latest.json points outside the artifact root: ../other/manifest.json',
      's3://b/p/latest.json points outside the artifact root: /etc/manifest.json',
      's3://b/p/latest.json points outside the artifact root: models/../../manifest.json',
    ]);
  });
});

describe('Function: localSource', () => {
  describe('readPointer', () => {
    it('tags the pointer with the sha256 of its content and reports it unchanged for that tag', async () => {
      // Prepare
      await put('latest.json', POINTER);

      // Act
      const first = await source.readPointer();
      const again = await source.readPointer(sha256(POINTER));
      const moved = `${JSON.stringify({ version: '20250102T030406Z-0123abcd', manifest: 'models/20250102T030406Z-0123abcd/manifest.json' })}\n`;
      await put('latest.json', moved);
      const changed = await source.readPointer(sha256(POINTER));

      // Assess
      expect({ first, again, changed }).toEqual({
        first: {
          changed: true,
          pointer: { version: VERSION, manifest: `models/${VERSION}/manifest.json` },
          tag: sha256(POINTER),
        },
        again: { changed: false },
        changed: {
          changed: true,
          pointer: {
            version: '20250102T030406Z-0123abcd',
            manifest: 'models/20250102T030406Z-0123abcd/manifest.json',
          },
          tag: sha256(moved),
        },
      });
    });

    it('returns an invalid pointer as an error with its tag instead of throwing, and unchanged after', async () => {
      // Prepare
      await put('latest.json', 'not json');

      // Act
      const read = await source.readPointer();
      const again = await source.readPointer(read.changed ? read.tag : undefined);

      // Assess
      expect({ read, again, error: read.changed && read.pointer === undefined && read.error }).toEqual({
        read: {
          changed: true,
          pointer: undefined,
          tag: sha256('not json'),
          error: expect.any(ArtifactInvalidError),
        },
        again: { changed: false },
        error: new ArtifactInvalidError(`${root}/latest.json is not valid JSON`),
      });
    });

    it('says no model is published when the pointer is missing', async () => {
      // Act
      const result = await failure(() => source.readPointer());

      // Assess
      expect(result).toEqual({
        kind: 'ModelNotLoadedError',
        message: `No model published at ${root}: latest.json not found`,
      });
    });
  });

  describe('readText', () => {
    it('reads a file as UTF-8 and answers undefined for a missing one', async () => {
      // Prepare
      await put('models/v/manifest.json', '{"title":"café"}');

      // Act
      const texts = [
        await source.readText('models/v/manifest.json'),
        await source.readText('models/v/none.json'),
      ];

      // Assess
      expect(texts).toEqual(['{"title":"café"}', undefined]);
    });
  });

  describe('readInto', () => {
    it('fills exactly the target, also a view into a larger buffer', async () => {
      // Prepare
      await put('models/v/items.bin', bytes(1000));
      const memory = new Uint8Array(1100).fill(0xee);

      // Act
      await source.readInto('models/v/items.bin', memory.subarray(64, 1064));

      // Assess
      expect({
        filled: Buffer.from(memory.subarray(64, 1064)).equals(Buffer.from(bytes(1000))),
        before: memory[63],
        after: memory[1064],
      }).toEqual({ filled: true, before: 0xee, after: 0xee });
    });

    it('refuses a file shorter or longer than the target, and a missing one, as invalid', async () => {
      // Prepare
      await put('short.bin', bytes(90));
      await put('long.bin', bytes(110));

      // Act
      const results = [
        await failure(() => source.readInto('short.bin', new Uint8Array(100))),
        await failure(() => source.readInto('long.bin', new Uint8Array(100))),
        await failure(() => source.readInto('none.bin', new Uint8Array(100))),
      ];

      // Assess
      expect(results).toEqual([
        { kind: 'ArtifactInvalidError', message: 'short.bin is truncated: 90 of 100 bytes' },
        { kind: 'ArtifactInvalidError', message: 'long.bin has 110 bytes, the manifest says 100' },
        { kind: 'ArtifactInvalidError', message: 'none.bin is missing' },
      ]);
    });

    it('reads an empty file into an empty target', async () => {
      // Prepare
      await put('empty.bin', new Uint8Array(0));

      // Act
      const result = await failure(() => source.readInto('empty.bin', new Uint8Array(0)));

      // Assess
      expect(result).toEqual({ kind: 'none', message: 'accepted' });
    });
  });

  describe('readRange', () => {
    it('reads byte ranges anywhere in a file, again after close', async () => {
      // Prepare
      await put('models/v/users.bin', bytes(5000));

      // Act
      const first = await source.readRange('models/v/users.bin', 0, 16);
      const middle = await source.readRange('models/v/users.bin', 4093, 4107);
      await source.close();
      const last = await source.readRange('models/v/users.bin', 4990, 5000);

      // Assess
      expect([first, middle, last].map((b) => [...b])).toEqual([
        [...bytes(5000).subarray(0, 16)],
        [...bytes(5000).subarray(4093, 4107)],
        [...bytes(5000).subarray(4990, 5000)],
      ]);
    });

    it('refuses a range past the end of the file and a missing file as invalid', async () => {
      // Prepare
      await put('users.bin', bytes(100));

      // Act
      const results = [
        await failure(() => source.readRange('users.bin', 90, 120)),
        await failure(() => source.readRange('none.bin', 0, 8)),
        await failure(() => source.readRange('none.bin', 0, 8)),
      ];

      // Assess
      expect(results).toEqual([
        { kind: 'ArtifactInvalidError', message: 'users.bin is shorter than byte 120' },
        { kind: 'ArtifactInvalidError', message: 'none.bin is missing' },
        { kind: 'ArtifactInvalidError', message: 'none.bin is missing' },
      ]);
    });

    it('reads past the old end of a file replaced by rename after its handle was cached', async () => {
      // Prepare
      await put('users.bin', bytes(100));
      const before = await source.readRange('users.bin', 0, 8);
      await put('users.bin.tmp', bytes(200).reverse());
      await rename(join(root, 'users.bin.tmp'), join(root, 'users.bin'));

      // Act
      const after = await source.readRange('users.bin', 150, 160);

      // Assess
      expect({ before: [...before], after: [...after] }).toEqual({
        before: [...bytes(8)],
        after: [...bytes(200).reverse().subarray(150, 160)],
      });
    });

    it('reads a file that appears after a failed attempt', async () => {
      // Prepare
      const missing = await failure(() => source.readRange('late.bin', 0, 4));
      await put('late.bin', bytes(8));

      // Act
      const read = await source.readRange('late.bin', 0, 4);

      // Assess
      expect({ missing: missing.kind, read: [...read] }).toEqual({
        missing: 'ArtifactInvalidError',
        read: [...bytes(4)],
      });
    });
  });

  describe('release', () => {
    it('closes the handle kept for a file, which a deleted version would otherwise hold open', async () => {
      // Prepare
      await put('models/a/users.bin', bytes(64));
      await put('models/b/users.bin', bytes(64));
      await source.readRange('models/a/users.bin', 0, 4);
      await source.readRange('models/b/users.bin', 0, 4);
      await rm(join(root, 'models', 'a'), { recursive: true });
      const before = await openFilesUnder(root);

      // Act
      await source.release('models/a/users.bin');
      const after = await openFilesUnder(root);
      const again = await failure(() => source.readRange('models/a/users.bin', 0, 4));

      // Assess
      expect({ before, after, again: again.kind }).toEqual({
        before: [
          `${join(root, 'models', 'a', 'users.bin')} (deleted)`,
          join(root, 'models', 'b', 'users.bin'),
        ],
        after: [join(root, 'models', 'b', 'users.bin')],
        again: 'ArtifactInvalidError',
      });
    });
  });

  describe('identity', () => {
    it('changes when a file is rewritten, with another size or only another time, and is undefined when missing', async () => {
      // Prepare
      await put('items.bin', bytes(100));
      const file = join(root, 'items.bin');
      await utimes(file, new Date('2025-01-01T00:00:00Z'), new Date('2025-01-01T00:00:00Z'));

      // Act
      const original = await source.identity('items.bin');
      const same = await source.identity('items.bin');
      await put('items.bin', bytes(100).reverse());
      await utimes(file, new Date('2025-01-01T00:00:01Z'), new Date('2025-01-01T00:00:01Z'));
      const retimed = await source.identity('items.bin');
      await put('items.bin', bytes(101));
      await utimes(file, new Date('2025-01-01T00:00:01Z'), new Date('2025-01-01T00:00:01Z'));
      const resized = await source.identity('items.bin');
      const missing = await source.identity('none.bin');

      // Assess
      expect({ original, same, retimed, resized, missing }).toEqual({
        original: `100:${Date.parse('2025-01-01T00:00:00Z')}`,
        same: original,
        retimed: `100:${Date.parse('2025-01-01T00:00:01Z')}`,
        resized: `101:${Date.parse('2025-01-01T00:00:01Z')}`,
        missing: undefined,
      });
    });
  });

  it('carries the root as its uri', () => {
    // Assess
    expect(source.uri).toBe(root);
  });
});
