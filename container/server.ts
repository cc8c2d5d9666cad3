/**
 * The container's entry file: `IMAGE serve` (SageMaker's start command) or `npm run serve`. Started
 * as the process, it runs the `serve` command (the supervisor); started again by the supervisor as a
 * worker thread, it is a request thread. The production bundle is built from this file.
 * @module
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { die, main } from './main.js';
import type { ThreadData } from './protocol.js';
import { runThread } from './thread.js';

if (!isMainThread && (workerData as ThreadData | undefined)?.control) {
  runThread(workerData as ThreadData);
} else {
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  main(process.argv.slice(2), new URL(import.meta.url)).then((code) => process.exit(code), die);
}
