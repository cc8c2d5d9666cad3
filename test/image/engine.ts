/**
 * The container engine the image test drives: podman (what ../shared/tools/container-engine.sh
 * installs) or a docker CLI with a reachable daemon. No engine is a loud failure, never a skip.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** The image the tests build: one tag per checkout, so worktrees testing at once never share it. */
export const IMAGE_TAG = `localhost/video-recommender:image-test-${createHash('sha256')
  .update(fileURLToPath(new URL('../..', import.meta.url)))
  .digest('hex')
  .slice(0, 8)}`;

/** A container engine CLI and how to run it. */
export interface Engine {
  name: 'podman' | 'docker';
  run(args: readonly string[], options?: { timeoutMs?: number }): string;
  /** For long commands (the build): keeps the event loop free so the test runner stays responsive. */
  runAsync(args: readonly string[]): Promise<string>;
}

const ENGINE_ENV = { ...process.env, BUILDAH_FORMAT: 'docker', DOCKER_BUILDKIT: '0' };

function works(program: string, args: readonly string[]): boolean {
  return spawnSync(program, args, { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** Finds podman, else docker; throws with the fix when neither works. */
export function findEngine(): Engine {
  const name = works('podman', ['version']) ? 'podman' : works('docker', ['info']) ? 'docker' : undefined;
  if (!name) {
    throw new Error(
      'Neither podman nor a working docker was found, so the image cannot be built or run. ' +
        'Install podman with `bash ../shared/tools/container-engine.sh all` (see ../shared/tools/README.md).',
    );
  }
  return {
    name,
    run(args, options = {}) {
      const result = spawnSync(name, args, {
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        env: ENGINE_ENV,
      });
      if (result.status !== 0) {
        throw new Error(
          `${name} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr}${result.stdout}`,
        );
      }
      return result.stdout.trim();
    },
    runAsync(args) {
      return new Promise((resolve, reject) => {
        const child = spawn(name, args, { env: ENGINE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output = (output + chunk.toString()).slice(-20_000);
        });
        child.stderr.on('data', (chunk: Buffer) => {
          output = (output + chunk.toString()).slice(-20_000);
        });
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0
            ? resolve(output)
            : reject(new Error(`${name} ${args.join(' ')} failed (${code}):\n${output}`)),
        );
      });
    },
  };
}

/** Build arguments: linux/amd64 in Docker v2 format (SageMaker rejects OCI manifests), never pulling. */
export function buildArgs(engine: Engine['name'], tag: string): string[] {
  const common = ['--platform', 'linux/amd64', '-t', tag, '-f', 'container/Dockerfile', '.'];
  return engine === 'podman'
    ? ['build', '--format', 'docker', '--pull=never', ...common]
    : ['build', '--force-rm', ...common];
}
