import { describe, expect, it } from 'vitest';
import { UnknownUserError } from '../../src/core/errors.js';
import { createJsonLogger, silentLog } from '../../src/core/log.js';

describe('Function: createJsonLogger', () => {
  it('writes one JSON line per call at or above the level, with child fields and flattened errors', () => {
    // Prepare
    const lines: string[] = [];
    const log = createJsonLogger({
      level: 'info',
      write: (line) => lines.push(line),
      fields: { service: 'rec' },
    });
    // Act
    log.debug('hidden');
    log.child({ requestId: 'r1' }).warn('slow', { ms: 12, error: new UnknownUserError('u9') });
    // Assess
    expect(lines.map((line) => ({ ...JSON.parse(line), time: 'T' }))).toEqual([
      {
        level: 'warn',
        time: 'T',
        message: 'slow',
        service: 'rec',
        requestId: 'r1',
        ms: 12,
        error: { name: 'UnknownUserError', message: 'Unknown user: u9', code: 'UNKNOWN_USER' },
      },
    ]);
  });

  it('writes nothing at level silent', () => {
    const lines: string[] = [];
    createJsonLogger({ level: 'silent', write: (line) => lines.push(line) }).error('boom');
    expect(lines).toEqual([]);
    expect(silentLog.child({}).error('boom')).toBeUndefined();
  });
});
