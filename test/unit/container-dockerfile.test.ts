import { readFileSync } from 'node:fs';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url);
const TEXT = readFileSync(new URL('container/Dockerfile', ROOT), 'utf8');
const dockerfile = DockerfileParser.parse(TEXT);

/** Instructions of the last stage (everything after the last FROM). */
function finalStage(): Instruction[] {
  const all = dockerfile.getInstructions();
  const lastFrom = all.map((i) => i.getKeyword()).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

describe('Function: validate (dockerfile-utils, the Dockerfile linter)', () => {
  it('finds no problem in container/Dockerfile', () => {
    const problems = validate(TEXT, {}).map((d) => `${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it('does report problems when there are some (the linter really runs)', () => {
    const problems = validate('FROM node:22-bookworm-slim\nFOO bar\nCMD ["a"]\nCMD ["b"]\n', {}).map(
      (d) => d.message,
    );
    expect(problems).toContain('Unknown instruction: FOO');
  });
});

describe('Function: container/Dockerfile rules', () => {
  it('builds in stages, every one FROM node:22-bookworm-slim for linux/amd64', () => {
    const froms = dockerfile.getFROMs().map((f) => ({
      image: `${f.getImageName()}:${f.getImageTag()}`,
      platform: f.getPlatformFlag()?.getValue(),
      stage: f.getBuildStage(),
    }));
    expect(froms).toEqual([
      { image: 'node:22-bookworm-slim', platform: 'linux/amd64', stage: 'build' },
      { image: 'node:22-bookworm-slim', platform: 'linux/amd64', stage: 'runtime' },
    ]);
  });

  it('runs the final stage as the non-root node user with an exec-form ENTRYPOINT taking `serve`', () => {
    const stage = finalStage();
    const last = (keyword: string): string | undefined =>
      stage
        .filter((i) => i.getKeyword() === keyword)
        .at(-1)
        ?.getArgumentsContent() ?? undefined;
    expect({
      user: last('USER'),
      entrypoint: JSON.parse(last('ENTRYPOINT') ?? 'null'),
      cmd: JSON.parse(last('CMD') ?? 'null'),
      expose: last('EXPOSE'),
    }).toEqual({ user: 'node', entrypoint: ['node', '/app/server.mjs'], cmd: ['serve'], expose: '8080' });
  });

  it('copies only the bundle into the final stage, with no install there and nothing buildah 1.28 rejects', () => {
    const stage = finalStage();
    const copies = stage.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getArgumentsContent());
    const runs = stage.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
    expect(copies).toEqual(['/build/dist/container/ ./']);
    expect(TEXT).toMatch(/COPY --from=build --chown=root:root \/build\/dist\/container\/ \.\//);
    expect(runs.some((r) => /\bnpm (ci|install)\b/.test(r))).toBe(false);
    expect(dockerfile.getInstructions().map((i) => i.getKeyword())).not.toContain('ADD');
    expect(TEXT).not.toMatch(/COPY --link|<<\s*\w+|:latest\b/);
  });

  it('has a .dockerignore that admits only what the Dockerfile copies', () => {
    const rules = readFileSync(new URL('.dockerignore', ROOT), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(rules.slice(0, 6)).toEqual([
      '**',
      '!package.json',
      '!package-lock.json',
      '!tsconfig.json',
      '!src/**',
      '!container/**',
    ]);
  });
});
