/**
 * Messages between the supervisor (the main thread: loads models, watches threads) and the request
 * threads (each an HTTP server on the shared port), and the shared control words they both read.
 * @module
 */
import type { Config, ModelHandle } from '../src/serving/index.js';
import type { LogBatch } from './log.js';

/** What a request thread starts with. */
export interface ThreadData {
  slot: number;
  /** request threads in this process (Batch Transform's MaxConcurrentTransforms) */
  threads: number;
  config: Config;
  /** Int32 words: [0] the active model generation; [1 + slot] each thread's heartbeat */
  control: SharedArrayBuffer;
  /** versions to open before listening: the active one, and one being installed */
  models: { generation: number; handle: ModelHandle }[];
}

export type ToThread =
  | { type: 'open'; generation: number; handle: ModelHandle }
  | { type: 'listen' }
  | { type: 'retain'; generations: number[] }
  | { type: 'shutdown'; deadline: number };

export type FromThread =
  | { type: 'opened'; generation: number }
  | { type: 'open-failed'; generation: number; message: string }
  | { type: 'listening' }
  | { type: 'listen-failed'; message: string }
  | LogBatch;

/** Word of the active generation in the control array. */
export const ACTIVE = 0;
/** Word of a thread's heartbeat. */
export const heartbeatWord = (slot: number): number => 1 + slot;
