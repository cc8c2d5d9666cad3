/*
 * WebAssembly SIMD scoring kernel of top-k: the dot product of many float32 rows with one float64
 * query, float64 accumulation. Bit-identical to topk.ts's JS `dotRow`: the same products (float32 x
 * float64 promoted, exact) summed in the same order into the same four partial sums
 * (s0,s1 | s2,s3 as two f64x2 lanes), tail into s0, then (s0 + s1) + (s2 + s3). WebAssembly has
 * no fused multiply-add in SIMD128 and clang does not reassociate without -ffast-math, so the
 * rounding matches exactly. Built by src/kernels/build.sh into dot-wasm.ts (committed).
 * No stack, no globals, no allocation: it works only through the pointers it is given.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

static inline double dot_row(const float *row, const double *q, int dim) {
  v128_t a = wasm_f64x2_splat(0.0), b = a; /* a = (s0, s1), b = (s2, s3) */
  int f = 0;
  for (; f + 8 <= dim; f += 8) {
    v128_t lo = wasm_v128_load(row + f);
    v128_t hi = wasm_v128_load(row + f + 4);
    v128_t m01 = wasm_f64x2_promote_low_f32x4(lo);
    v128_t m23 = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(lo, lo, 2, 3, 0, 1));
    v128_t m45 = wasm_f64x2_promote_low_f32x4(hi);
    v128_t m67 = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(hi, hi, 2, 3, 0, 1));
    a = wasm_f64x2_add(a, wasm_f64x2_add(wasm_f64x2_mul(m01, wasm_v128_load(q + f)),
                                         wasm_f64x2_mul(m45, wasm_v128_load(q + f + 4))));
    b = wasm_f64x2_add(b, wasm_f64x2_add(wasm_f64x2_mul(m23, wasm_v128_load(q + f + 2)),
                                         wasm_f64x2_mul(m67, wasm_v128_load(q + f + 6))));
  }
  double s0 = wasm_f64x2_extract_lane(a, 0);
  for (; f < dim; f++) s0 += (double)row[f] * q[f];
  return (s0 + wasm_f64x2_extract_lane(a, 1)) + (wasm_f64x2_extract_lane(b, 0) + wasm_f64x2_extract_lane(b, 1));
}

/* Two rows per pass share the query loads; each row's arithmetic is exactly dot_row's. */
static inline void dot_two(const float *r, const float *t, const double *q, int dim, double *out) {
  v128_t a = wasm_f64x2_splat(0.0), b = a, c = a, d = a;
  int f = 0;
  for (; f + 8 <= dim; f += 8) {
    v128_t q01 = wasm_v128_load(q + f), q23 = wasm_v128_load(q + f + 2);
    v128_t q45 = wasm_v128_load(q + f + 4), q67 = wasm_v128_load(q + f + 6);
    v128_t lo = wasm_v128_load(r + f), hi = wasm_v128_load(r + f + 4);
    v128_t lo2 = wasm_v128_load(t + f), hi2 = wasm_v128_load(t + f + 4);
    a = wasm_f64x2_add(a, wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(lo), q01),
                                         wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(hi), q45)));
    b = wasm_f64x2_add(b, wasm_f64x2_add(
                              wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(lo, lo, 2, 3, 0, 1)), q23),
                              wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(hi, hi, 2, 3, 0, 1)), q67)));
    c = wasm_f64x2_add(c, wasm_f64x2_add(wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(lo2), q01),
                                         wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(hi2), q45)));
    d = wasm_f64x2_add(d, wasm_f64x2_add(
                              wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(lo2, lo2, 2, 3, 0, 1)), q23),
                              wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(hi2, hi2, 2, 3, 0, 1)), q67)));
  }
  double s0 = wasm_f64x2_extract_lane(a, 0), t0 = wasm_f64x2_extract_lane(c, 0);
  for (; f < dim; f++) {
    s0 += (double)r[f] * q[f];
    t0 += (double)t[f] * q[f];
  }
  out[0] = (s0 + wasm_f64x2_extract_lane(a, 1)) + (wasm_f64x2_extract_lane(b, 0) + wasm_f64x2_extract_lane(b, 1));
  out[1] = (t0 + wasm_f64x2_extract_lane(c, 1)) + (wasm_f64x2_extract_lane(d, 0) + wasm_f64x2_extract_lane(d, 1));
}

/* Four rows per pass share each query load; each row's arithmetic is exactly dot_row's. The float32
   pairs are loaded as 64-bit lanes and promoted (the same values dot_row's shuffles produce). */
static inline void dot_four(const float *r, int dim, const double *q, double *out) {
  v128_t a[4], b[4];
  for (int j = 0; j < 4; j++) a[j] = b[j] = wasm_f64x2_splat(0.0);
  int f = 0;
  for (; f + 8 <= dim; f += 8) {
    v128_t q01 = wasm_v128_load(q + f), q23 = wasm_v128_load(q + f + 2);
    v128_t q45 = wasm_v128_load(q + f + 4), q67 = wasm_v128_load(q + f + 6);
    for (int j = 0; j < 4; j++) {
      const float *row = r + j * dim + f;
      v128_t m01 = wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(row));
      v128_t m23 = wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(row + 2));
      v128_t m45 = wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(row + 4));
      v128_t m67 = wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(row + 6));
      a[j] = wasm_f64x2_add(a[j], wasm_f64x2_add(wasm_f64x2_mul(m01, q01), wasm_f64x2_mul(m45, q45)));
      b[j] = wasm_f64x2_add(b[j], wasm_f64x2_add(wasm_f64x2_mul(m23, q23), wasm_f64x2_mul(m67, q67)));
    }
  }
  for (int j = 0; j < 4; j++) {
    const float *row = r + j * dim;
    double s0 = wasm_f64x2_extract_lane(a[j], 0);
    for (int g = f; g < dim; g++) s0 += (double)row[g] * q[g];
    out[j] = (s0 + wasm_f64x2_extract_lane(a[j], 1)) + (wasm_f64x2_extract_lane(b[j], 0) + wasm_f64x2_extract_lane(b[j], 1));
  }
}

/* out[i] = row (first + i) . q for i < count */
EXPORT("score_range")
void score_range(const float *m, int dim, const double *q, int first, int count, double *out) {
  const float *row = m + (unsigned long)first * (unsigned)dim;
  int i = 0;
  for (; i + 4 <= count; i += 4, row += 4 * dim) dot_four(row, dim, q, out + i);
  for (; i + 2 <= count; i += 2, row += 2 * dim) dot_two(row, row + dim, q, dim, out + i);
  if (i < count) out[i] = dot_row(row, q, dim);
}

/* out[i] = row rows[i] . q for i < count */
EXPORT("score_rows")
void score_rows(const float *m, int dim, const double *q, const int *rows, int count, double *out) {
  for (int i = 0; i < count; i++) out[i] = dot_row(m + (unsigned long)rows[i] * (unsigned)dim, q, dim);
}
