/**
 * Ranking: bounded-heap top-k over exact dot products, the IVF index that picks which rows to scan
 * at catalogue scale, and the metadata filter index with its sorted-set algebra.
 * @module
 */
export {
  buildIvf,
  centroidScores,
  IVF_MIN_ITEMS,
  IVF_TARGET_RECALL,
  type IvfIndex,
  type IvfOptions,
  type IvfView,
  probeLists,
} from './ivf.js';
export {
  filterRows,
  intersectSorted,
  type MetadataFilter,
  type MetadataIndex,
  sortedUnique,
  unionAll,
} from './metadata-index.js';
export {
  type ListScan,
  type SelectOptions,
  sortedHas,
  type TopK,
  topKDot,
  topKDotLists,
  topKValues,
} from './top-k.js';
