/**
 * Cold-start configuration and the Lambda logger: validated once per execution environment, shared by
 * every handler. Powertools' logger writes one JSON object per line with the Lambda request id.
 * @module
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Log, LogFields } from '../src/core/log.js';
import { loadConfig } from '../src/serving/config.js';

/** The validated environment; a bad variable fails the init phase with a message naming it. */
export const config = loadConfig();

/** The one Powertools logger of this execution environment. */
export const logger = new Logger({ serviceName: 'video-recommender', logLevel: config.logLevel });

/**
 * The Powertools logger behind the small {@link Log} interface src/ code logs through.
 * @param target - the Powertools logger (or a child of it)
 */
export function asLog(target: Logger = logger): Log {
  const fields = (extra?: LogFields): LogFields[] => (extra ? [extra] : []);
  return {
    debug: (message, extra) => target.debug(message, ...fields(extra)),
    info: (message, extra) => target.info(message, ...fields(extra)),
    warn: (message, extra) => target.warn(message, ...fields(extra)),
    error: (message, extra) => target.error(message, ...fields(extra)),
    child: (extra) => asLog(target.createChild({ persistentKeys: extra })),
  };
}
