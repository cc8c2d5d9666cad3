/**
 * The Lambda entry points: one handler per route of the table (src/api/routes.ts), each a function
 * of serverless.yml (`handler: handlers/api.<route id>`); test/unit/serverless-routes.test.ts checks
 * that the two agree. The model loads during init (handlers/model.ts).
 * @module
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { routeById } from '../src/api/index.js';
import { routeContext } from '../src/serving/index.js';
import { asLog, config, logger } from './environment.js';
import { type LambdaEnvironment, type LambdaHandler, lambdaHandler } from './http.js';
import { currentRecommender, modelState } from './model.js';
import { observability, recordRequest } from './observability.js';

const log = asLog();

const environment: LambdaEnvironment = {
  maxBodyBytes: config.maxBodyBytes,
  log,
  async context() {
    const current = await currentRecommender();
    return routeContext(config, log, () => current);
  },
  injectContext: () => injectLambdaContext(logger, { resetKeys: true }),
  appendKeys: (keys) => logger.appendKeys(keys),
  observe(route, status, ms, answers) {
    const { model, loadFailures } = modelState();
    recordRequest(route.id, status, ms, answers, model, loadFailures);
  },
  outer: observability,
};

export const ping: LambdaHandler = lambdaHandler(routeById('ping'), environment);
export const invocations: LambdaHandler = lambdaHandler(routeById('invocations'), environment);
export const recommendations: LambdaHandler = lambdaHandler(routeById('recommendations'), environment);
export const userRecommendations: LambdaHandler = lambdaHandler(
  routeById('userRecommendations'),
  environment,
);
export const similarVideos: LambdaHandler = lambdaHandler(routeById('similarVideos'), environment);
export const similarUsers: LambdaHandler = lambdaHandler(routeById('similarUsers'), environment);
