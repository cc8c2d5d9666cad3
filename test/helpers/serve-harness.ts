/**
 * The container's entry file with a test-only control channel: the same `serve` command and request
 * threads as container/server.ts, plus IPC messages from the test that started it (`{kill: slot}`
 * terminates a request thread as a crash would; `{threads: true}` asks which are serving). Bundled
 * like the production server (test/helpers/serve-process.ts), so threads start as fast as they ship.
 * @module
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { die, main } from '../../container/main.js';
import type { ThreadData } from '../../container/protocol.js';
import { runThread } from '../../container/thread.js';

/** A message the test sends. */
export type HarnessCommand = { kill: number } | { threads: true };

if (!isMainThread && (workerData as ThreadData | undefined)?.control) {
  runThread(workerData as ThreadData);
} else {
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  main(process.argv.slice(2), new URL(import.meta.url), (supervisor) => {
    process.on('message', (command: HarnessCommand) => {
      if ('kill' in command)
        void supervisor.kill(command.kill).then(() => process.send?.({ killed: command.kill }));
      else process.send?.({ threads: supervisor.threads() });
    });
  }).then((code) => process.exit(code), die);
}
