/**
 * Worker-thread entry of ALS training: receives the shared state once, then runs one phase per
 * message over the shared chunk counter and answers "done".
 * @module
 */

import { parentPort, workerData } from 'node:worker_threads';
import { type AlsState, createThreadContext, type Phase, runChunks } from './state.js';

const { state, index } = workerData as { state: AlsState; index: number };
const context = createThreadContext(state, index);

parentPort?.on('message', (phase: Phase) => {
  try {
    runChunks(state, phase, context);
    parentPort?.postMessage({ ok: true });
  } catch (error) {
    parentPort?.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
