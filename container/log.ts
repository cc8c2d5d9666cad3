/**
 * Logging on the container: pino, one JSON object per line on stdout (CloudWatch Logs reads it),
 * behind the Log interface src/ logs through. Request threads do not write to stdout themselves:
 * they batch lines and post them to the supervisor, which writes them, so lines from different
 * threads never interleave on a pipe and a request never waits for a write.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { type DestinationStream, type Logger, pino } from 'pino';
import { errorFields, type Log, type LogFields, type LogLevel } from '../src/core/log.js';

/** Lines a thread buffers before posting them; a quiet thread posts at least every FLUSH_MS. */
const BATCH_BYTES = 16 * 1024;
const FLUSH_MS = 250;

/** A pino logger with our line shape: `level` as a label, `message`, ISO `time`. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      base: { pid: process.pid },
    },
    destination ?? pino.destination({ dest: 1, sync: false, minLength: 0 }),
  );
}

const flatten = (fields: LogFields | undefined): LogFields => {
  if (!fields) return {};
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields))
    out[key] = value instanceof Error ? errorFields(value) : value;
  return out;
};

/** A pino logger behind the Log interface. */
export function pinoLog(logger: Logger): Log {
  return {
    debug: (message, fields) => logger.debug(flatten(fields), message),
    info: (message, fields) => logger.info(flatten(fields), message),
    warn: (message, fields) => logger.warn(flatten(fields), message),
    error: (message, fields) => logger.error(flatten(fields), message),
    child: (fields) => pinoLog(logger.child(fields)),
  };
}

/** The message a thread posts with a batch of log lines. */
export interface LogBatch {
  type: 'log';
  text: string;
}

/**
 * A pino destination for a request thread: lines collect in memory and go to the supervisor in
 * batches (postMessage), flushed at BATCH_BYTES, every FLUSH_MS, and by `flush()` before exit.
 */
export function threadLogDestination(): DestinationStream & { flush(): void } {
  let pending = '';
  const flush = (): void => {
    if (pending === '') return;
    const message: LogBatch = { type: 'log', text: pending };
    pending = '';
    parentPort?.postMessage(message);
  };
  setInterval(flush, FLUSH_MS).unref();
  return {
    write(line: string) {
      pending += line;
      if (pending.length >= BATCH_BYTES) flush();
    },
    flush,
  };
}
