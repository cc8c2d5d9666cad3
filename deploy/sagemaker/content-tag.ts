/**
 * The image tag a build gets when none is given: a hash of exactly what goes into the image (the
 * Dockerfile plus every context file `.dockerignore` lets through). Equal sources give an equal tag,
 * so a re-run finds the image already in ECR and skips the build that would mint a new digest (and
 * with it a new model and a needless blue/green update).
 * @module
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type IgnoreMatcher, parseDockerignore } from './dockerignore.js';

/** Prefix of content-derived tags; a user's `--tag` has no rule. */
export const CONTENT_TAG_PREFIX = 'content-';

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The ignore rules Docker applies: `<Dockerfile>.dockerignore` beside the Dockerfile wins over the
 * context's `.dockerignore`; with neither, the whole context is sent.
 */
export async function loadDockerignore(dockerfile: string, context: string): Promise<IgnoreMatcher> {
  const text =
    (await readIfExists(`${dockerfile}.dockerignore`)) ??
    (await readIfExists(join(context, '.dockerignore')));
  return parseDockerignore(text ?? '');
}

/** A file a build sends: its context-relative path (`/` separators) and whether it is a symlink. */
export interface ContextFile {
  path: string;
  link: boolean;
}

/** Context files a build sends, sorted by path (code units, so the order is the same everywhere). */
export async function contextFiles(context: string, ignore: IgnoreMatcher): Promise<ContextFile[]> {
  const files: ContextFile[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(context, relative), { withFileTypes: true });
    for (const entry of entries) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!ignore.ignores(path) || ignore.mayReinclude(path)) await walk(path);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !ignore.ignores(path)) {
        files.push({ path, link: entry.isSymbolicLink() });
      }
    }
  };
  await walk('');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * `content-<16 hex>`: sha256 over the Dockerfile and each sent file's path, kind and bytes.
 * @example
 * await contentTag('container/Dockerfile', '.') // 'content-3f2a9c0d1e4b5a67'
 */
export async function contentTag(dockerfile: string, context: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`dockerfile\0${await readFile(dockerfile, 'utf8')}\0`);
  for (const { path, link } of await contextFiles(context, await loadDockerignore(dockerfile, context))) {
    const full = join(context, path);
    const body = link
      ? `link:${await readlink(full)}`
      : createHash('sha256')
          .update(await readFile(full))
          .digest('hex');
    hash.update(`${path}\0${body}\n`);
  }
  return `${CONTENT_TAG_PREFIX}${hash.digest('hex').slice(0, 16)}`;
}
