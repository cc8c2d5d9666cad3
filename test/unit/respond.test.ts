import { describe, expect, it } from 'vitest';
import {
  ArtifactInvalidError,
  InvalidRequestError,
  ModelNotLoadedError,
  TransportError,
} from '../../src/core/errors.js';
import type { Log, LogFields } from '../../src/core/log.js';
import { errorResponse } from '../../src/http/respond.js';

/** A Log that keeps error lines as [message, fields]. */
function errorLines(): { log: Log; lines: [string, LogFields | undefined][] } {
  const lines: [string, LogFields | undefined][] = [];
  const log: Log = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (message, fields) => lines.push([message, fields]),
    child: () => log,
  };
  return { log, lines };
}

describe('Function: errorResponse', () => {
  it('shows 4xx messages, hides 5xx internals unless exposed, and logs only what it hides', () => {
    // Prepare
    const { log, lines } = errorLines();
    const internal = new Error('db at 10.0.0.3 exploded');
    const storeDown = new ModelNotLoadedError('Cannot read s3://secret-bucket/p/users.bin: ECONNRESET', {
      reason: 'unreachable',
    });
    const corrupt = new ArtifactInvalidError(
      's3://secret-bucket/p/users.bin block 2 does not match its digest',
    );
    const loading = new ModelNotLoadedError('No model loaded yet: loading', {
      expose: true,
      retryAfterSeconds: 2,
    });

    // Act
    const responses = [
      new InvalidRequestError('k: must be an integer', [{ field: 'k', message: 'must be an integer' }]),
      new TransportError('METHOD_NOT_ALLOWED', 'GET is not allowed', 'POST'),
      internal,
      storeDown,
      corrupt,
      loading,
    ].map((error) => errorResponse(error, log));

    // Assess
    expect(responses.map((r) => [r.status, JSON.parse(r.body).error.message, r.headers])).toEqual([
      [400, 'k: must be an integer', { 'content-type': 'application/json' }],
      [405, 'GET is not allowed', { 'content-type': 'application/json', allow: 'POST' }],
      [500, 'Internal server error', { 'content-type': 'application/json' }],
      [503, 'The model is unavailable right now; try again', { 'content-type': 'application/json' }],
      [503, 'The model is unavailable right now; try again', { 'content-type': 'application/json' }],
      [503, 'No model loaded yet: loading', { 'content-type': 'application/json', 'retry-after': '2' }],
    ]);
    expect(lines).toEqual([
      ['request failed', { error: internal }],
      ['request failed', { error: storeDown }],
      ['request failed', { error: corrupt }],
    ]);
  });
});
