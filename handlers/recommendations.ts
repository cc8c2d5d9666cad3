/**
 * `POST /recommendations`: recommendations from a recently watched list (fold-in) for a user the model
 * has never seen, or any single request, or a batch `{"requests":[...]}`. The body and answer are those
 * of `POST /invocations`, so this is the same route; serverless.yml keeps a function per path (own log
 * group, own metrics).
 * @module
 */
export { handler, invocationsRoute as recommendationsRoute } from './invocations.js';
