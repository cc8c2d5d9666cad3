/**
 * Matching a request to a route of the table: exact paths by lookup, templated ones
 * (`/users/{userId}/recommendations`) by segments; path parameters are percent-decoded here, once,
 * for both targets. An unknown path is 404, a known path with another method 405 with `Allow`.
 * @module
 */
import type { Route } from '../api/index.js';
import { InvalidRequestError, TransportError } from '../core/errors.js';

/** A matched route and its decoded path parameters. */
export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

const MALFORMED_ESCAPE = 'must be a valid percent-encoded UTF-8 path segment';

/** The one 400 for a path parameter whose percent-escapes do not decode. */
export function malformedPathParameter(name: string, cause?: unknown): InvalidRequestError {
  return new InvalidRequestError(
    `Invalid request: ${name} ${MALFORMED_ESCAPE}`,
    [{ field: name, message: MALFORMED_ESCAPE }],
    {
      cause,
    },
  );
}

/**
 * Decodes a path parameter as the client spelled it (API Gateway REST passes escapes through).
 * @throws InvalidRequestError naming the parameter when an escape is malformed
 */
export function decodePathParameter(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (error) {
    throw malformedPathParameter(name, error);
  }
}

interface Template {
  route: Route;
  parts: { literal: string | undefined; name: string | undefined }[];
}

function template(route: Route): Template {
  const parts = route.path
    .split('/')
    .slice(1)
    .map((part) =>
      part.startsWith('{') && part.endsWith('}')
        ? { literal: undefined, name: part.slice(1, -1) }
        : { literal: part, name: undefined },
    );
  return { route, parts };
}

function matchTemplate(t: Template, segments: readonly string[]): Record<string, string> | undefined {
  if (t.parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const part = t.parts[i]!;
    const segment = segments[i] as string;
    if (part.literal !== undefined) {
      if (part.literal !== segment) return undefined;
    } else if (segment === '') return undefined;
    else params[part.name as string] = decodePathParameter(segment, part.name as string);
  }
  return params;
}

/** A router over routes. */
export class Router {
  private readonly exact = new Map<string, Route[]>();
  private readonly templates: Template[] = [];

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      if (route.path.includes('{')) this.templates.push(template(route));
      else this.exact.set(route.path, [...(this.exact.get(route.path) ?? []), route]);
    }
  }

  /**
   * The route for `method` and the raw (undecoded, query-free) `path`.
   * @throws TransportError NOT_FOUND or METHOD_NOT_ALLOWED; InvalidRequestError for a malformed escape
   */
  match(method: string, path: string): RouteMatch {
    const verb = method === 'HEAD' ? 'GET' : method;
    const candidates: RouteMatch[] = [];
    const exact = this.exact.get(path);
    if (exact) for (const route of exact) candidates.push({ route, params: {} });
    else {
      const segments = path.split('/').slice(1);
      for (const t of this.templates) {
        const params = matchTemplate(t, segments);
        if (params) candidates.push({ route: t.route, params });
      }
    }
    const found = candidates.find((c) => c.route.method === verb);
    if (found) return found;
    if (candidates.length === 0) throw new TransportError('NOT_FOUND', `No route for ${method} ${path}`);
    const allow = [...new Set(candidates.map((c) => c.route.method))].flatMap((m) =>
      m === 'GET' ? ['GET', 'HEAD'] : [m],
    );
    throw new TransportError('METHOD_NOT_ALLOWED', 'Method not allowed', allow.join(', '));
  }
}
