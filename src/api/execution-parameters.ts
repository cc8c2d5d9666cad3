/**
 * `GET /execution-parameters`: what SageMaker Batch Transform asks a container before a job that left
 * the settings to it. We answer MULTI_RECORD (many JSON Lines per request, each answered on its own
 * line, a bad line answered with its error rather than failing the mini-batch), 1 MB mini-batches, and
 * one concurrent request per request thread. 1 MB keeps a mini-batch's line count under the JSON
 * Lines limit the transform job sets (MAX_BATCH, see deploy/sagemaker/batch-transform.ts).
 * @module
 */
import { z } from 'zod';

/** The answer, in SageMaker's field names. */
export const executionParametersSchema = z.object({
  MaxConcurrentTransforms: z
    .number()
    .int()
    .min(1)
    .describe('parallel requests per instance: one per request thread'),
  BatchStrategy: z.enum(['MULTI_RECORD', 'SINGLE_RECORD']).describe('MULTI_RECORD: many lines per request'),
  MaxPayloadInMB: z.number().int().min(0).max(100).describe('largest mini-batch SageMaker sends'),
});

export type ExecutionParameters = z.infer<typeof executionParametersSchema>;

/** The parameters of a container with `threads` request threads. */
export function executionParameters(threads: number): ExecutionParameters {
  return { MaxConcurrentTransforms: Math.max(1, threads), BatchStrategy: 'MULTI_RECORD', MaxPayloadInMB: 1 };
}
