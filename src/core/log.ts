/**
 * The one logging contract of src/: leveled, structured, able to carry context. Each target supplies
 * the implementation (pino on the container, the Powertools logger on Lambda); src/ code never
 * writes to stdout itself.
 * @module
 */

/** Log levels in increasing severity; `silent` turns logging off. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Extra structured fields of one log line. */
export type LogFields = Record<string, unknown>;

/** What src/ needs from a logger. */
export interface Log {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Log;
}

/** A logger that drops everything. */
export const silentLog: Log = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLog,
};

/**
 * A child of `log` with the fields `fields()` gives, made only when something is logged: a request's
 * log on a hot path, where most requests log nothing.
 */
export function lazyChild(log: Log, fields: () => LogFields): Log {
  let child: Log | undefined;
  const made = (): Log => {
    child ??= log.child(fields());
    return child;
  };
  return {
    debug: (message, more) => made().debug(message, more),
    info: (message, more) => made().info(message, more),
    warn: (message, more) => made().warn(message, more),
    error: (message, more) => made().error(message, more),
    child: (more) => made().child(more),
  };
}

/** An error as log fields: name, message and code, never the stack (which stays out of JSON lines). */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }) };
}
