/**
 * The small structured-log interface src/ code logs through. Each target supplies its own
 * implementation (Powertools logger on Lambda, pino on the container); {@link createJsonLogger} is a
 * dependency-free one for scripts and tests.
 * @module
 */
import type { LogLevel } from '../serving/config.js';

/** Extra structured fields of one log line. */
export type LogFields = Record<string, unknown>;

/** What src/ needs from a logger: leveled, structured, and able to carry context. */
export interface Log {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Log;
}

const SEVERITY: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  silent: 100,
};

/** A logger that drops everything. */
export const silentLog: Log = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLog,
};

/**
 * A logger writing one JSON object per line: `{"level","time","message",...fields}`.
 * Errors in fields are flattened to name/message/code so stack traces stay out of the line.
 * @param options.level - lowest level written (default `info`)
 * @param options.write - sink for one line (default: stdout)
 * @param options.fields - fields carried on every line
 * @example
 * const log = createJsonLogger({ level: 'debug' });
 * log.child({ requestId }).info('request', { status: 200, ms: 1.2 });
 */
export function createJsonLogger(
  options: { level?: LogLevel; write?: (line: string) => void; fields?: LogFields } = {},
): Log {
  const threshold = SEVERITY[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.fields ?? {};
  const emit =
    (level: Exclude<LogLevel, 'silent' | 'trace'>) =>
    (message: string, fields?: LogFields): void => {
      if (SEVERITY[level] < threshold) return;
      write(JSON.stringify({ level, time: new Date().toISOString(), message, ...base, ...flatten(fields) }));
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => createJsonLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

function flatten(fields: LogFields | undefined): LogFields {
  if (!fields) return {};
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? { name: value.name, message: value.message, ...('code' in value ? { code: value.code } : {}) }
        : value;
  }
  return out;
}
