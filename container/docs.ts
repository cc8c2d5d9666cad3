/**
 * The container's documentation pages: `/openapi.json` (made from the route table) and Swagger UI at
 * `/docs`, served from the installed swagger-ui-dist files (or the copy beside the production
 * bundle), never a CDN. Files are read once, on first use.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '../src/api/index.js';
import type { Limits } from '../src/core/limits.js';
import type { HttpResponse } from '../src/http/index.js';
import swaggerFiles from './swagger-files.json' with { type: 'json' };

/** The swagger-ui-dist files the page uses (JSON so the image build reads it without a TypeScript resolver). */
export const SWAGGER_FILES: readonly string[] = swaggerFiles;

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
};

/** `./swagger-ui/` beside the bundle when it is there, else the installed package. */
export function swaggerUiDir(): string {
  const bundled = fileURLToPath(new URL('./swagger-ui/', import.meta.url));
  if (existsSync(join(bundled, 'swagger-ui-bundle.js'))) return bundled;
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>Video recommender API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="stylesheet" href="/docs/index.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
</script>
</body>
</html>
`;

/** Answers the documentation paths; `match` returns undefined for every other path. */
export interface DocsSite {
  match(method: string, path: string): HttpResponse | undefined;
}

/**
 * The docs of a server with these limits.
 * @example
 * const docs = docsSite({ maxK: 100, maxBatch: 1000 });
 * docs.match('GET', '/openapi.json')?.status; // 200
 */
export function docsSite(limits: Limits, dir: string = swaggerUiDir()): DocsSite {
  const files = new Map<string, HttpResponse>();
  let spec: HttpResponse | undefined;
  const file = (name: string): HttpResponse | undefined => {
    if (!SWAGGER_FILES.includes(name)) return undefined;
    let found = files.get(name);
    if (!found) {
      const type = TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
      const body = readFileSync(join(dir, name), 'utf8');
      found = {
        status: 200,
        headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
        body,
      };
      files.set(name, found);
    }
    return found;
  };
  return {
    match(method, path) {
      if (method !== 'GET' && method !== 'HEAD') return undefined;
      if (path === '/') return { status: 302, headers: { location: '/docs' }, body: '' };
      if (path === '/docs' || path === '/docs/')
        return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: PAGE };
      if (path === '/openapi.json') {
        spec ??= {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(openApiDocument({ limits })),
        };
        return spec;
      }
      if (path.startsWith('/docs/')) return file(path.slice('/docs/'.length));
      return undefined;
    },
  };
}
