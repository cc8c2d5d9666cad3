import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, startMoto } from '../helpers/moto.js';

describe('Helper: startMoto', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto.stop();
  });

  it('serves S3 on loopback through the standard AWS_ENDPOINT_URL variable', async () => {
    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'helper-check' }));
    await s3.send(new PutObjectCommand({ Bucket: 'helper-check', Key: 'a.txt', Body: 'hello' }));
    const object = await s3.send(new GetObjectCommand({ Bucket: 'helper-check', Key: 'a.txt' }));
    expect({
      endpoint: moto.endpoint.startsWith('http://127.0.0.1:'),
      body: await object.Body?.transformToString(),
    }).toEqual({
      endpoint: true,
      body: 'hello',
    });
  });
});
