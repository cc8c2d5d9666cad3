import { describe, expect, it } from 'vitest';
import { ArtifactInvalidError } from '../../src/core/errors.js';
import { errorFields, silentLog } from '../../src/core/log.js';

describe('Function: errorFields', () => {
  it('keeps name, message and code of an error, never its stack', () => {
    const io = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(errorFields(io)).toEqual({
      name: 'Error',
      message: 'connect ECONNREFUSED 127.0.0.1:9',
      code: 'ECONNREFUSED',
    });
    expect(errorFields(new ArtifactInvalidError('items.bin is truncated'))).toEqual({
      name: 'ArtifactInvalidError',
      message: 'items.bin is truncated',
      code: 'ARTIFACT_INVALID',
    });
    expect(errorFields('plain text')).toEqual({ message: 'plain text' });
  });
});

describe('Constant: silentLog', () => {
  it('drops everything, children included', () => {
    expect(silentLog.child({ a: 1 })).toBe(silentLog);
    expect(silentLog.error('x', { y: 1 })).toBeUndefined();
  });
});
