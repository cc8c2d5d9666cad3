/**
 * What a route's answer held, for the metrics: how many recommendation answers, and how many came
 * from the popular fallback or from fold-in (a batch counts item by item; failed items do not count).
 * @module
 */
import type { RouteAnswer } from './routes.js';

/** How many recommendation answers a response carried, and how many came from each fallback. */
export interface AnswerCounts {
  answers: number;
  fallback: number;
  foldIn: number;
}

/** No answers (pings, errors). */
export const NO_ANSWERS: AnswerCounts = Object.freeze({ answers: 0, fallback: 0, foldIn: 0 });

/** Counts the recommendation answers of a route's answer (batch items one by one; errors do not count). */
export function answerCounts(answer: RouteAnswer): AnswerCounts {
  const items = answer.kind === 'one' ? [answer.value] : answer.items;
  let answers = 0;
  let fallback = 0;
  let foldIn = 0;
  for (const item of items) {
    if (item === null || typeof item !== 'object' || !('recommendations' in item)) continue;
    answers++;
    const source = (item as { source?: unknown }).source;
    if (source === 'popular') fallback++;
    else if (source === 'fold-in') foldIn++;
  }
  return { answers, fallback, foldIn };
}
