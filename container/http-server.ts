/**
 * The container's HTTP server: Node's own `http` module with the route table's request pipeline
 * (src/http), measured at about 1.3x fastify's throughput on this path (bench/serve.ts). It adds what
 * a server facing clients needs: a body limit (413 before reading further), header, request and
 * keep-alive timeouts (a stalled client is cut), the SageMaker custom-attributes echo, the docs
 * pages, a sampled access log, and a drain that finishes requests in flight on shutdown.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { payloadTooLargeError, RecommenderError } from '../src/core/errors.js';
import { type Log, lazyChild } from '../src/core/log.js';
import { errorResponse, type HttpRequest, type HttpResponse } from '../src/http/index.js';
import type { Config } from '../src/serving/index.js';
import type { DocsSite } from './docs.js';

const CUSTOM_ATTRIBUTES = 'x-amzn-sagemaker-custom-attributes';
/** Requests slower than this are always in the access log, whatever the sample rate. */
const SLOW_MS = 1000;
/** nginx's status for a client that closed the connection before the answer */
const CLIENT_CLOSED = 499;

/** What the server needs. */
export interface ServerOptions {
  config: Pick<
    Config,
    | 'maxBodyBytes'
    | 'headersTimeoutSeconds'
    | 'requestTimeoutSeconds'
    | 'keepAliveTimeoutSeconds'
    | 'accessLogSample'
  >;
  log: Log;
  /** answers a request (the route table's pipeline) */
  handle(request: HttpRequest, log: Log): Promise<HttpResponse>;
  docs?: DocsSite | undefined;
}

/** A server and how to drain it. */
export interface HttpServer {
  server: Server;
  /** requests being answered now */
  inFlight(): number;
  /**
   * Stops accepting, closes idle connections, waits for requests in flight until `deadline`
   * (ms since epoch), then cuts every connection left (stalled uploads included).
   */
  drain(deadline: number): Promise<void>;
}

function splitUrl(url: string): { path: string; query: Record<string, string> | null } {
  const at = url.indexOf('?');
  if (at < 0) return { path: url, query: null };
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(url.slice(at + 1))) if (!(key in query)) query[key] = value;
  return { path: url.slice(0, at), query };
}

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-amzn-requestid'] ?? req.headers['x-request-id'];
  return typeof given === 'string' && given.length > 0 && given.length <= 128 ? given : randomUUID();
}

/** Reads the body up to `limit` bytes; resolves undefined for none, rejects with the 413 beyond. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limit) return Promise.reject(payloadTooLargeError(limit));
  const hasBody = declared > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    req.resume();
    return Promise.resolve(req.method === 'POST' ? '' : undefined);
  }
  return new Promise((resolve, reject) => {
    // Decoded as it arrives (the decoder keeps characters split across chunks whole); counted in bytes.
    req.setEncoding('utf8');
    let text = '';
    let size = 0;
    req.on('data', (chunk: string) => {
      size += Buffer.byteLength(chunk);
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(payloadTooLargeError(limit));
        return;
      }
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  response: HttpResponse,
  attributes: string | undefined,
  close: boolean,
): void {
  const headers: Record<string, string | number> = {
    ...response.headers,
    'content-length': Buffer.byteLength(response.body),
  };
  if (attributes !== undefined) headers['x-amzn-sagemaker-custom-attributes'] = attributes;
  if (close) headers.connection = 'close';
  res.writeHead(response.status, headers);
  res.end(response.body);
}

/**
 * Creates the server (not listening yet).
 * @example
 * const { server } = createHttpServer({ config, log, handle: (req) => handleRequest(ctx, router, req) });
 * server.listen({ port: 8080, reusePort: true });
 */
export function createHttpServer(options: ServerOptions): HttpServer {
  const { config, log } = options;
  let inFlight = 0;
  let closing = false;
  const server = createServer(
    {
      // Node requires headersTimeout <= requestTimeout: the whole request cannot outlast its headers.
      headersTimeout: Math.min(config.headersTimeoutSeconds, config.requestTimeoutSeconds) * 1000,
      requestTimeout: config.requestTimeoutSeconds * 1000,
      keepAliveTimeout: config.keepAliveTimeoutSeconds * 1000,
      // The request timeout is enforced by this periodic check; Node's default (30 s) is too coarse.
      connectionsCheckingInterval: 1000,
    },
    (req, res) => {
      inFlight++;
      const started = performance.now();
      const url = req.url ?? '/';
      const attributes = req.headers[CUSTOM_ATTRIBUTES];
      let reqId: string | undefined;
      const idOf = (): string => {
        reqId ??= requestIdOf(req);
        return reqId;
      };
      // Failures are logged with the id the access line carries; the child exists only if one is.
      const reqLog = lazyChild(log, () => ({ reqId: idOf() }));
      let answered = false;
      const finish = (status: number): void => {
        answered = true;
        inFlight--;
        const ms = performance.now() - started;
        // Every failure and slow request; successes sampled (each line costs ~20 % of a request's CPU).
        if (status >= 400 || ms >= SLOW_MS || Math.random() < config.accessLogSample) {
          log.info('request', {
            reqId: idOf(),
            method: req.method,
            url,
            status,
            ms: Math.round(ms * 100) / 100,
          });
        }
      };
      const respond = (response: HttpResponse, close = closing): void => {
        if (answered) return;
        send(res, response, typeof attributes === 'string' ? attributes : undefined, close);
        finish(response.status);
      };
      const { path, query } = splitUrl(url);
      const site = options.docs?.match(req.method ?? 'GET', path);
      if (site) {
        req.resume();
        respond(site);
        return;
      }
      readBody(req, config.maxBodyBytes)
        .then(
          (body) =>
            options
              .handle({ method: req.method ?? 'GET', path, query, headers: req.headers, body }, reqLog)
              .then((response) => respond(response)),
          (error: unknown) => {
            // A client gone mid-body is not our failure: nothing to answer, 499 in the access line.
            if (req.destroyed && !(error instanceof RecommenderError)) {
              if (!answered) finish(CLIENT_CLOSED);
              return;
            }
            // A body left unread means the connection cannot carry another request.
            respond(errorResponse(error, reqLog), true);
          },
        )
        .catch((error: unknown) => {
          // Sending failed (the socket broke mid-answer): the connection cannot be trusted further.
          reqLog.error('request failed', { error });
          if (answered) return;
          res.destroy();
          finish(500);
        });
    },
  );
  return {
    server,
    inFlight: () => inFlight,
    async drain(deadline) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await closed;
    },
  };
}
