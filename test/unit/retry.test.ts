import { describe, expect, it } from 'vitest';
import { isTransientError, ShortReadError, withRetry } from '../../src/store/retry.js';

const s3Error = (name: string, status: number): Error =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('Function: isTransientError', () => {
  it('retries network failures, timeouts, throttling and 5xx, but not client errors', () => {
    const cases: [string, unknown][] = [
      ['ECONNREFUSED', Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })],
      [
        'ECONNRESET in cause',
        new Error('wrapped', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }),
      ],
      ['SlowDown 503', s3Error('SlowDown', 503)],
      ['InternalError 500', s3Error('InternalError', 500)],
      ['429', s3Error('TooManyRequests', 429)],
      ['short read', new ShortReadError('short')],
      ['SDK TimeoutError', Object.assign(new Error('socket timeout'), { name: 'TimeoutError' })],
      ['ThrottlingException 400', s3Error('ThrottlingException', 400)],
      ['NoSuchKey 404', s3Error('NoSuchKey', 404)],
      ['AccessDenied 403', s3Error('AccessDenied', 403)],
      ['PreconditionFailed 412', s3Error('PreconditionFailed', 412)],
      ['plain Error', new Error('boom')],
      ['string', 'boom'],
    ];
    expect(Object.fromEntries(cases.map(([label, error]) => [label, isTransientError(error)]))).toEqual({
      ECONNREFUSED: true,
      'ECONNRESET in cause': true,
      'SlowDown 503': true,
      'InternalError 500': true,
      '429': true,
      'short read': true,
      'SDK TimeoutError': true,
      'ThrottlingException 400': true,
      'NoSuchKey 404': false,
      'AccessDenied 403': false,
      'PreconditionFailed 412': false,
      'plain Error': false,
      string: false,
    });
  });
});

describe('Function: withRetry', () => {
  const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

  it('retries transient failures until one attempt succeeds', async () => {
    const attempts: number[] = [];
    const result = await withRetry(async (attempt) => {
      attempts.push(attempt);
      if (attempt < 3) throw s3Error('SlowDown', 503);
      return 'ok';
    }, policy);
    expect({ result, attempts }).toEqual({ result: 'ok', attempts: [1, 2, 3] });
  });

  it('gives up after the last attempt with the last error', async () => {
    let calls = 0;
    const failure = withRetry(async () => {
      calls++;
      throw s3Error('InternalError', 500);
    }, policy);
    await expect(failure).rejects.toThrow('InternalError');
    expect(calls).toBe(3);
  });

  it('does not retry a permanent failure', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw s3Error('AccessDenied', 403);
      }, policy),
    ).rejects.toThrow('AccessDenied');
    expect(calls).toBe(1);
  });
});

describe('Function: withRetry (policy edges)', () => {
  it('makes exactly one attempt when the policy allows one', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw s3Error('SlowDown', 503);
        },
        { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      ),
    ).rejects.toThrow('SlowDown');
    expect(calls).toBe(1);
  });

  it('asks the given classifier, not the default one, whether to retry', async () => {
    const seen: unknown[] = [];
    const result = await withRetry(
      async (attempt) => {
        if (attempt === 1) throw new Error('custom transient');
        return attempt;
      },
      { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      (error) => {
        seen.push((error as Error).message);
        return true;
      },
    );
    expect({ result, seen }).toEqual({ result: 2, seen: ['custom transient'] });
  });
});
