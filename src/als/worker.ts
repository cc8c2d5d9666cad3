/**
 * Worker-thread entry of ALS training: receives the shared state once, then sleeps on the shared
 * phase counter (Atomics.wait), runs each phase it is woken for over the shared chunk counter, and
 * counts it done, until the stop phase.
 * @module
 */

import { workerData } from 'node:worker_threads';
import type { WorkerData } from './pool.js';
import { Control, createThreadContext, type Phase, runChunks, STOP_PHASE } from './state.js';

const { state, index, errors } = workerData as WorkerData;
const context = createThreadContext(state, index);
const control = state.control;

let epoch = 0;
for (;;) {
  Atomics.wait(control, Control.epoch, epoch);
  epoch = Atomics.load(control, Control.epoch);
  const phase = Atomics.load(control, Control.phase);
  if (phase === STOP_PHASE) break;
  try {
    runChunks(state, phase as Phase, context);
  } catch (error) {
    errors.postMessage(error instanceof Error ? error.message : String(error));
    Atomics.store(control, Control.next, 1 << 30);
    Atomics.store(control, Control.failed, 1);
  }
  Atomics.add(control, Control.done, 1);
  Atomics.notify(control, Control.done);
}
errors.close();
