import { join } from 'node:path';
import { generateScaleModel, SCALE_DEFAULTS } from './scale-model.js';

const shape = SCALE_DEFAULTS;
const dir = join('/work/main/bench/.data', `scale-${shape.videos}x${shape.users}x${shape.factors}`);
const t = performance.now();
const m = await generateScaleModel(dir, shape, (l) => console.log(new Date().toISOString(), l));
console.log(
  m,
  ((performance.now() - t) / 1000).toFixed(0),
  's',
  (process.memoryUsage().rss / 2 ** 20).toFixed(0),
  'MiB',
);
