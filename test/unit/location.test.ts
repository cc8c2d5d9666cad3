import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { parseModelUri, resolveModelUri, s3Key } from '../../src/store/location.js';

describe('Function: parseModelUri', () => {
  it('splits s3 URIs into bucket and prefix, trimming slashes', () => {
    expect([parseModelUri('s3://my-bucket/a/b/'), parseModelUri('s3://my-bucket')]).toEqual([
      { kind: 's3', bucket: 'my-bucket', prefix: 'a/b', uri: 's3://my-bucket/a/b' },
      { kind: 's3', bucket: 'my-bucket', prefix: '', uri: 's3://my-bucket' },
    ]);
  });

  it('treats file URLs and paths as local directories, resolving relative paths', () => {
    expect([
      parseModelUri('file:///opt/ml/model'),
      parseModelUri('/tmp/models'),
      parseModelUri('  artifacts '),
    ]).toEqual([
      { kind: 'local', dir: '/opt/ml/model', uri: '/opt/ml/model' },
      { kind: 'local', dir: '/tmp/models', uri: '/tmp/models' },
      { kind: 'local', dir: `${process.cwd()}/artifacts`, uri: `${process.cwd()}/artifacts` },
    ]);
  });

  it('refuses bucket names S3 would refuse', () => {
    const accepted = ['s3://ab', 's3://Upper/p', 's3://-dash/p', 's3://ok.bucket-1/p'].map((uri) => {
      try {
        return parseModelUri(uri).kind;
      } catch (error) {
        return error instanceof ConfigInvalidError ? 'refused' : 'wrong error';
      }
    });
    expect(accepted).toEqual(['refused', 'refused', 'refused', 's3']);
  });

  it('refuses empty values, missing buckets and other schemes', () => {
    const messages = ['', 's3://', 'https://example.com/m'].map((uri) => {
      try {
        parseModelUri(uri);
        return 'accepted';
      } catch (error) {
        return error instanceof ConfigInvalidError ? error.message : 'wrong error';
      }
    });
    expect(messages).toEqual([
      'Model URI is empty',
      'Model URI s3:// has no valid S3 bucket name (expected s3://bucket/prefix)',
      'Model URI https://example.com/m has an unsupported scheme (use s3://bucket/prefix or a directory)',
    ]);
  });
});

describe('Function: resolveModelUri', () => {
  it('prefers MODEL_URI, then /opt/ml/model when it exists, else fails naming MODEL_URI', () => {
    const none = (): boolean => false;
    expect([
      resolveModelUri({ MODEL_URI: 's3://b/p' }, none),
      resolveModelUri({}, (path) => path === '/opt/ml/model'),
    ]).toEqual(['s3://b/p', '/opt/ml/model']);
    expect(() => resolveModelUri({ MODEL_URI: ' ' }, none)).toThrow(
      /^MODEL_URI is not set and \/opt\/ml\/model does not exist/,
    );
  });
});

describe('Function: s3Key', () => {
  it('joins a path under a prefix, and uses the path alone at the bucket root', () => {
    expect([s3Key('recs', 'latest.json'), s3Key('', 'latest.json')]).toEqual([
      'recs/latest.json',
      'latest.json',
    ]);
  });
});
