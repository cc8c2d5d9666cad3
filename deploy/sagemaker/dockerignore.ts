/**
 * Which build-context paths a `.dockerignore` leaves out, with Docker's own matching rules
 * (@balena/dockerignore, a port of moby's patternmatcher), plus the pruning a directory walk needs.
 * @module
 */
import dockerignore from '@balena/dockerignore';

// CommonJS `module.exports = factory`, typed as an ES default export: under NodeNext the import is the factory.
const ignore = dockerignore as unknown as typeof dockerignore.default;

/** Which context paths a build leaves out. Paths are relative, with `/` separators. */
export interface IgnoreMatcher {
  /** True when the file (or directory) at this path is not sent to the build. */
  ignores(path: string): boolean;
  /** False when nothing below this ignored directory can be re-included, so a walk may skip it. */
  mayReinclude(directory: string): boolean;
}

/**
 * Parses `.dockerignore` text into a matcher.
 * @example
 * parseDockerignore('**\n!src/**\n**\/*.test.ts').ignores('src/a.test.ts') // true
 */
export function parseDockerignore(text: string): IgnoreMatcher {
  const rules = ignore().add(text);
  // Literal text before the first wildcard of each `!` pattern: the only places a re-include can reach.
  const reincludes = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('!'))
    .map((line) => {
      const body = line
        .slice(1)
        .trim()
        .replace(/^\.?\/+/, '');
      const wildcard = body.search(/[*?[\\]/);
      return wildcard < 0 ? body : body.slice(0, wildcard);
    });
  return {
    ignores: (path) => rules.ignores(path),
    mayReinclude(directory) {
      const below = `${directory}/`;
      return reincludes.some((prefix) => prefix.startsWith(below) || below.startsWith(prefix));
    },
  };
}
