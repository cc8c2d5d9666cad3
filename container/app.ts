/**
 * The SageMaker container's HTTP app: `GET /ping`, `POST /invocations` (JSON, a batch, or JSON Lines),
 * the REST-style routes the Lambda target also has, and OpenAPI docs at `/docs`. A thin fastify adapter
 * over src/service.ts: every error, whatever raised it, leaves through the one error handler and
 * `toErrorResponse`, so status codes and bodies match the Lambda target.
 * (adapter) -> service -> recommender
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { pino } from 'pino';
import {
  answerJsonLines,
  type BatchItem,
  invoke,
  malformedPathParameter,
  parseJsonBody,
  ping,
  recommendForUser,
  similarVideos,
} from '../src/api/service.js';
import {
  InvalidRequestError,
  payloadTooLargeError,
  RecommenderError,
  TransportError,
  toErrorResponse,
} from '../src/core/errors.js';
import type { Log, LogFields } from '../src/core/log.js';
import type { Recommender } from '../src/recommender/recommender.js';
import type { Config } from '../src/serving/config.js';
import { JSON_LINES_TYPE, JSON_TYPE, requestFormat, responseFormat } from './negotiate.js';
import { type DocsOptions, registerDocs, routeDocs } from './openapi.js';

/** Where the app gets the current model; the model store satisfies it. Undefined until one is loaded. */
export interface RecommenderProvider {
  current(): Recommender | undefined;
}

/** Options of {@link createApp}. */
export interface AppOptions {
  provider: RecommenderProvider;
  config: Pick<Config, 'maxBodyBytes' | 'logLevel' | 'maxK' | 'maxBatch'>;
  /** where JSON log lines go (default stdout) */
  logStream?: Writable;
  docs?: DocsOptions;
}

const CUSTOM_ATTRIBUTES = 'x-amzn-sagemaker-custom-attributes';

/**
 * Adapts a pino logger to the small Log interface src/ logs through. A class, so each request pays
 * one small allocation rather than a closure per level (it is built on every /invocations call).
 */
class PinoLog implements Log {
  constructor(private readonly logger: FastifyBaseLogger) {}
  debug(message: string, fields?: LogFields): void {
    this.logger.debug(fields ?? {}, message);
  }
  info(message: string, fields?: LogFields): void {
    this.logger.info(fields ?? {}, message);
  }
  warn(message: string, fields?: LogFields): void {
    this.logger.warn(fields ?? {}, message);
  }
  error(message: string, fields?: LogFields): void {
    this.logger.error(fields ?? {}, message);
  }
  child(fields: LogFields): Log {
    return new PinoLog(this.logger.child(fields));
  }
}

/** Fastify's own transport errors, turned into ours so the one mapper sees only our closed set. */
function normalise(error: FastifyError | RecommenderError | Error, maxBodyBytes: number): Error {
  if (error instanceof RecommenderError) return error;
  const status = (error as FastifyError).statusCode;
  if (status === 413) return payloadTooLargeError(maxBodyBytes);
  if (status === 415) return new TransportError('UNSUPPORTED_MEDIA_TYPE', error.message);
  if (status === 404) return new TransportError('NOT_FOUND', error.message);
  if (status !== undefined && status >= 400 && status < 500) {
    return new InvalidRequestError(`Invalid request: ${error.message}`, [], { cause: error });
  }
  return error;
}

/** Bytes of log lines buffered before one write to stdout; see {@link createLogger}. */
const LOG_BUFFER_BYTES = 8 * 1024;
/** Buffered lines are written at least this often, so a quiet server's last lines still show. */
const LOG_FLUSH_MS = 1000;

/**
 * Creates a pino logger writing one JSON object per line, `level` as a label like the Lambda logs.
 * On stdout, lines are buffered up to 8 KB (or 1 s) and written asynchronously: one write per line
 * cost about a tenth of the server's throughput under load (bench/serve.ts). pino flushes the
 * buffer synchronously when the process exits.
 */
export function createLogger(level: Config['logLevel'], stream?: Writable): FastifyBaseLogger {
  const buffered = stream ? undefined : pino.destination({ sync: false, minLength: LOG_BUFFER_BYTES });
  if (buffered) {
    setInterval(() => {
      try {
        buffered.flush();
      } catch {
        // Destroyed at exit: pino has already flushed what was left.
      }
    }, LOG_FLUSH_MS).unref();
  }
  return pino(
    {
      level,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream ?? buffered,
  );
}

/**
 * Builds the app without listening, for `inject` in tests and for the server entry.
 * @example
 * const app = await createApp({ provider: store, config: loadConfig() });
 * await app.listen({ port: 8080, host: '0.0.0.0' });
 */
export async function createApp(options: AppOptions): Promise<FastifyInstance> {
  const { provider, config } = options;
  /** The one place the container maps an error to HTTP (DESIGN.md: one mapper per target). */
  function sendError(error: Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const normalised = normalise(error, config.maxBodyBytes);
    const { status, body } = toErrorResponse(normalised);
    if (status >= 500 && !(normalised instanceof RecommenderError)) {
      request.log.error({ err: normalised }, 'request failed');
    }
    if (normalised instanceof TransportError && normalised.code === 'METHOD_NOT_ALLOWED') {
      reply.header('Allow', request.url.startsWith('/invocations') ? 'POST' : 'GET, HEAD');
    }
    return reply.code(status).type(JSON_TYPE).send(JSON.stringify(body));
  }
  const app = Fastify({
    loggerInstance: createLogger(config.logLevel, options.logStream),
    bodyLimit: config.maxBodyBytes,
    // One access line per request comes from the onResponse hook instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (request) => {
      const given = request.headers['x-amzn-requestid'] ?? request.headers['x-request-id'];
      return typeof given === 'string' && given.length <= 128 ? given : randomUUID();
    },
    // Idle keep-alive sockets close at once on shutdown; in-flight requests still finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // A path whose escapes do not decode never reaches a route: answer it as Lambda does.
    frameworkErrors: (error, request, reply) => {
      if (error.code !== 'FST_ERR_BAD_URL') return sendError(error, request, reply);
      const field = /^\/users\//.test(request.url)
        ? 'userId'
        : /^\/videos\//.test(request.url)
          ? 'videoId'
          : 'path';
      return sendError(malformedPathParameter(field, error), request, reply);
    },
  });
  // Validation is zod's job (src/schemas.ts) and responses are plain JSON: route schemas are docs only.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  // Callback-style hooks: an async hook costs a promise and a microtask turn per request.
  app.addHook('onSend', (request, reply, payload, done) => {
    const attributes = request.headers[CUSTOM_ATTRIBUTES];
    if (typeof attributes === 'string') reply.header('X-Amzn-SageMaker-Custom-Attributes', attributes);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        bytesIn: Number(request.headers['content-length'] ?? 0),
      },
      'request',
    );
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request) => {
    throw new TransportError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`);
  });

  await registerDocs(app, { maxK: config.maxK, maxBatch: config.maxBatch }, options.docs);
  const docs = routeDocs({ maxK: config.maxK, maxBatch: config.maxBatch });
  const methodNotAllowed = (): never => {
    throw new TransportError('METHOD_NOT_ALLOWED', 'Method not allowed');
  };

  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/docs'));
  app.get('/ping', { schema: docs.ping }, (_request, reply) =>
    reply.type(JSON_TYPE).send(JSON.stringify(ping(provider.current()))),
  );
  app.post('/invocations', { schema: docs.invocations }, (request, reply) => {
    const rec = provider.current();
    const format = requestFormat(request.headers['content-type']);
    const answer = responseFormat(request.headers.accept, format);
    const text = typeof request.body === 'string' ? request.body : '';
    const log = new PinoLog(request.log);
    let items: BatchItem[] | undefined;
    let single: unknown;
    if (format === JSON_LINES_TYPE) {
      items = answerJsonLines(rec, text, { log });
    } else {
      const result = invoke(rec, parseJsonBody(text), { log });
      if ('responses' in result) items = result.responses;
      else single = result;
    }
    if (answer === JSON_LINES_TYPE) {
      const lines = items ?? [single];
      return reply.type(JSON_LINES_TYPE).send(lines.map((item) => `${JSON.stringify(item)}\n`).join(''));
    }
    return reply.type(JSON_TYPE).send(JSON.stringify(items ? { responses: items } : single));
  });
  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: '/invocations',
    schema: { hide: true },
    handler: methodNotAllowed,
  });
  app.route({
    method: ['POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/ping',
    schema: { hide: true },
    handler: methodNotAllowed,
  });
  app.get<{ Params: { userId: string } }>(
    '/users/:userId/recommendations',
    { schema: docs.userRecommendations },
    (request, reply) =>
      reply
        .type(JSON_TYPE)
        .send(JSON.stringify(recommendForUser(provider.current(), request.params.userId, request.query))),
  );
  app.get<{ Params: { videoId: string } }>(
    '/videos/:videoId/similar',
    { schema: docs.similarVideos },
    (request, reply) =>
      reply
        .type(JSON_TYPE)
        .send(JSON.stringify(similarVideos(provider.current(), request.params.videoId, request.query))),
  );
  return app;
}
