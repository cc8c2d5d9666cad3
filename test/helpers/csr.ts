import type { Csr } from '../../src/core/model-data.js';

/** Builds a CSR from per-row sorted item lists, every value 1: hand-checkable test matrices. */
export function csrFromRows(rows: number[][], cols: number): Csr {
  const indptr = new Int32Array(rows.length + 1);
  const flat: number[] = [];
  rows.forEach((items, r) => {
    flat.push(...items);
    indptr[r + 1] = flat.length;
  });
  return {
    rows: rows.length,
    cols,
    indptr,
    indices: Int32Array.from(flat),
    data: new Float32Array(flat.length).fill(1),
  };
}
