import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSchema, SCHEMA_FILE } from '../../client/generate.js';

describe('File: client/schema.d.ts', () => {
  it('is what openapi-typescript generates from the current OpenAPI description (npm run client:generate)', async () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(await generateSchema());
  });
});
