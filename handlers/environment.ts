/**
 * What every Lambda handler shares in an execution environment, set up once at init: the validated
 * config (a bad variable fails init with a message naming it) and the Powertools logger, behind the
 * Log interface src/ logs through.
 * @module
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Log, LogFields } from '../src/core/log.js';
import { loadConfig } from '../src/serving/index.js';

/** The validated environment. */
export const config = loadConfig();

/** The one Powertools logger of this execution environment. */
export const logger = new Logger({
  serviceName: 'video-recommender',
  logLevel: config.logLevel.toUpperCase() as 'INFO',
});

/**
 * The Powertools logger behind the {@link Log} interface.
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
