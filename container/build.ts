/**
 * `npm run build`: the production bundle of the container server. One ESM file with every dependency
 * inlined (so the image needs no node_modules; the same file runs the supervisor and, as a worker
 * thread, each request thread), plus the swagger-ui files /docs serves beside it.
 * Output: dist/container/server.mjs and dist/container/swagger-ui/.
 * @module
 */
import { cp, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
// JSON, not docs.ts: the image runs this file with plain Node, which does not map .js imports to .ts.
import SWAGGER_FILES from './swagger-files.json' with { type: 'json' };

const root = fileURLToPath(new URL('..', import.meta.url));

/** Where the bundle goes, relative to the repository root. */
export const OUT_DIR = 'dist/container';

/**
 * Bundles the server.
 * @returns the bundle's path and size in bytes
 */
export async function buildServerBundle(
  outDir: string = join(root, OUT_DIR),
  entry = 'container/server.ts',
): Promise<{ file: string; bytes: number }> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, 'server.mjs');
  const result = await build({
    entryPoints: [join(root, entry)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // Bundled CommonJS dependencies still call require() for node built-ins and read __dirname.
    banner: {
      js: [
        "import { createRequire as __cr } from 'node:module';",
        "import { fileURLToPath as __fu } from 'node:url';",
        "import { dirname as __dn } from 'node:path';",
        'const require = __cr(import.meta.url);',
        'const __filename = __fu(import.meta.url);',
        'const __dirname = __dn(__filename);',
      ].join(''),
    },
  });
  const require = createRequire(import.meta.url);
  const staticDir = dirname(require.resolve('swagger-ui-dist/package.json'));
  await mkdir(join(outDir, 'swagger-ui'), { recursive: true });
  for (const name of SWAGGER_FILES) await cp(join(staticDir, name), join(outDir, 'swagger-ui', name));
  const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs)[0] ?? '']?.bytes ?? 0;
  return { file, bytes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { file, bytes } = await buildServerBundle();
  console.log(`built ${file} (${(bytes / 1024 / 1024).toFixed(2)} MB)`);
}
