/**
 * The CLI's {@link TrainingReporter}: log lines to stdout, and a progress bar over the ALS iterations
 * (with the loss) on stderr only when stderr is a terminal. Without a terminal each fit ends with one
 * summary line instead, so logs and CI output stay readable.
 * @module
 */
import { SingleBar } from 'cli-progress';
import type { TrainingReporter } from './pipeline.js';

/** Where the reporter writes. */
export interface ProgressStreams {
  out: NodeJS.WritableStream;
  err: NodeJS.WriteStream | NodeJS.WritableStream;
}

function formatLoss(loss: number | undefined): string {
  return loss === undefined ? '-' : loss.toExponential(4);
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * While a bar is on screen (cursor hidden, line wrap off), Ctrl+C or a kill first stops the bar, which
 * restores the terminal, then ends the process by the same signal as it would have ended without us.
 * @returns a function that removes the handlers
 */
function restoreTerminalOnSignal(bar: SingleBar, err: ProgressStreams['err']): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    remove();
    bar.stop();
    err.write('\n');
    process.kill(process.pid, signal);
  };
  const remove = (): void => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  for (const signal of SIGNALS) process.once(signal, onSignal);
  return remove;
}

/**
 * Creates the CLI reporter.
 * @param quiet - print nothing (errors are printed by the CLI itself)
 */
export function createCliReporter(
  quiet: boolean,
  streams: ProgressStreams = { out: process.stdout, err: process.stderr },
): TrainingReporter {
  if (quiet) return {};
  const tty = 'isTTY' in streams.err && streams.err.isTTY === true;
  let bar: SingleBar | undefined;
  let releaseSignals = (): void => {};
  let label = '';
  let last: { loss: number | undefined; seconds: number[] } = { loss: undefined, seconds: [] };
  return {
    info: (line) => {
      streams.out.write(`${line}\n`);
    },
    fitStart: (name, total) => {
      label = name;
      last = { loss: undefined, seconds: [] };
      if (!tty) return;
      bar = new SingleBar({
        stream: streams.err,
        format: `${name} [{bar}] {value}/{total} iterations | loss {loss} | {ms} ms/it`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
      });
      bar.start(total, 0, { loss: '-', ms: '-' });
      releaseSignals = restoreTerminalOnSignal(bar, streams.err);
    },
    iteration: (info) => {
      last.loss = info.loss;
      last.seconds.push(info.seconds);
      bar?.update(info.iteration, { loss: formatLoss(info.loss), ms: (info.seconds * 1000).toFixed(0) });
    },
    fitEnd: () => {
      if (bar) {
        releaseSignals();
        bar.stop();
        bar = undefined;
        return;
      }
      const ms =
        last.seconds.length > 0 ? (last.seconds.reduce((a, b) => a + b, 0) * 1000) / last.seconds.length : 0;
      streams.out.write(
        `${label}: ${last.seconds.length} iterations, final loss ${formatLoss(last.loss)}, ${ms.toFixed(0)} ms/iteration\n`,
      );
    },
  };
}
