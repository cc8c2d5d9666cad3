/*
 * WebAssembly SIMD kernels of implicit ALS: the conjugate-gradient row update (as the `implicit`
 * library's least_squares_cg, float32 like its BLAS calls), Gram partials (float32 sums of 64-row
 * blocks, added up in float64) and the loss (float64).
 * Built by src/kernels/build.sh into als-wasm.ts (committed), so no C toolchain is needed to use it.
 * No stack, no globals, no allocation: every instance (one per thread) shares one linear memory and
 * works only through the pointers it is given, which keeps threads from touching each other's data.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

/* Items per mini-block of a CG pass: their coefficients are computed, then their rows are combined
 * while they are still in L1. Block boundaries do not change any result. */
#define BLOCK 32

/* (v0 + v2) + (v1 + v3): every dot product of this file ends with this reduction. */
static inline float hsum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 2)) +
         (wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 3));
}

/* a · b: lanes accumulate l ≡ 0..3 (mod 4) in order, then hsum, then the k mod 4 tail in order. */
static inline float dot(const float *a, const float *b, int k) {
  v128_t s = wasm_f32x4_splat(0.0f);
  int l = 0;
  for (; l + 4 <= k; l += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(a + l), wasm_v128_load(b + l)));
  float r = hsum(s);
  for (; l < k; l++) r += a[l] * b[l];
  return r;
}

/*
 * t[j] = row(j) · v for j < n, row(j) = y + idx[j] k, each with the arithmetic of dot(): four rows per
 * pass share the loads of v, and one transpose reduces their four sums at once.
 */
static void dots(float *t, const float *y, const int *idx, int n, const float *v, int k) {
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *y0 = y + (long)idx[j] * k, *y1 = y + (long)idx[j + 1] * k;
    const float *y2 = y + (long)idx[j + 2] * k, *y3 = y + (long)idx[j + 3] * k;
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
    int l = 0;
    for (; l + 4 <= k; l += 4) {
      v128_t vv = wasm_v128_load(v + l);
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(y0 + l), vv));
      s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(y1 + l), vv));
      s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(y2 + l), vv));
      s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(y3 + l), vv));
    }
    /* Lane j of `sums` = (s_j[0] + s_j[2]) + (s_j[1] + s_j[3]), as hsum(s_j). */
    v128_t a01 = wasm_i32x4_shuffle(s0, s1, 0, 4, 1, 5), b01 = wasm_i32x4_shuffle(s0, s1, 2, 6, 3, 7);
    v128_t a23 = wasm_i32x4_shuffle(s2, s3, 0, 4, 1, 5), b23 = wasm_i32x4_shuffle(s2, s3, 2, 6, 3, 7);
    v128_t e01 = wasm_f32x4_add(a01, b01), e23 = wasm_f32x4_add(a23, b23);
    v128_t sums = wasm_f32x4_add(wasm_i32x4_shuffle(e01, e23, 0, 1, 4, 5), wasm_i32x4_shuffle(e01, e23, 2, 3, 6, 7));
    if (l == k) {
      wasm_v128_store(t + j, sums);
      continue;
    }
    float r0 = wasm_f32x4_extract_lane(sums, 0), r1 = wasm_f32x4_extract_lane(sums, 1);
    float r2 = wasm_f32x4_extract_lane(sums, 2), r3 = wasm_f32x4_extract_lane(sums, 3);
    for (; l < k; l++) {
      r0 += y0[l] * v[l];
      r1 += y1[l] * v[l];
      r2 += y2[l] * v[l];
      r3 += y3[l] * v[l];
    }
    t[j] = r0;
    t[j + 1] = r1;
    t[j + 2] = r2;
    t[j + 3] = r3;
  }
  for (; j < n; j++) t[j] = dot(y + (long)idx[j] * k, v, k);
}

/*
 * out[g, g + 4W) (+)= Σ_j c[j] row(j)[g, g + 4W) with W vectors held in registers; every lane adds its
 * terms in j order, so the result is the same as n sequential axpys.
 */
#define COMBINE(W)                                                                                    \
  static inline void combine##W(float *out, const float *y, const int *idx, const float *c, int n, int k, \
                                int g, int load) {                                                    \
    v128_t o[W];                                                                                      \
    for (int w = 0; w < W; w++) o[w] = load ? wasm_v128_load(out + g + 4 * w) : wasm_f32x4_splat(0.0f); \
    for (int j = 0; j < n; j++) {                                                                     \
      const float *row = y + (long)(idx ? idx[j] : j) * k + g;                                        \
      v128_t cj = wasm_v128_load32_splat(c + j);                                                      \
      for (int w = 0; w < W; w++) o[w] = wasm_f32x4_add(o[w], wasm_f32x4_mul(cj, wasm_v128_load(row + 4 * w))); \
    }                                                                                                 \
    for (int w = 0; w < W; w++) wasm_v128_store(out + g + 4 * w, o[w]);                               \
  }
COMBINE(4)
COMBINE(1)

/*
 * out (+)= Σ_j c[j] row(j), row(j) = y + idx[j] k (or y + j k when idx is null: the rows of YᵀY);
 * `load` = 0 starts from zero. Lanes go 16 at a time (four accumulators: eight measured slower, they
 * spill), then 4, then the k mod 4 tail one at a time.
 */
static void combine(float *out, const float *y, const int *idx, const float *c, int n, int k, int load) {
  int g = 0;
  for (; g + 16 <= k; g += 16) combine4(out, y, idx, c, n, k, g, load);
  for (; g + 4 <= k; g += 4) combine1(out, y, idx, c, n, k, g, load);
  for (; g < k; g++) {
    float o = load ? out[g] : 0.0f;
    for (int j = 0; j < n; j++) o += c[j] * y[(long)(idx ? idx[j] : j) * k + g];
    out[g] = o;
  }
}

/*
 * CG update of rows [row_start, row_end) of x, warm-started from their current values.
 * yty: (YᵀY + λI) as float32 k x k. target = max(c, 0), weight = |c| − 1 per interaction; within a row,
 * entries with weight 0 come last (src/als/confidence.ts orders them so): they add nothing to A, so the
 * CG steps visit only the entries before them.
 * scratch: 4k + BLOCK floats owned by the calling thread.
 */
EXPORT("cg_update_rows")
void cg_update_rows(float *x, const float *y, int k, const float *yty, const int *indptr, const int *indices,
                    const float *target, const float *weight, int row_start, int row_end, int cg_steps,
                    float *scratch) {
  float *r = scratch, *p = scratch + k, *ap = scratch + 2 * k, *t = scratch + 3 * k;
  for (int u = row_start; u < row_end; u++) {
    int start = indptr[u], end = indptr[u + 1];
    float *xu = x + (long)u * k;
    if (start == end) {
      for (int l = 0; l < k; l++) xu[l] = 0.0f;
      continue;
    }
    int active = end;
    while (active > start && weight[active - 1] == 0.0f) active--;

    /* r = b − A x = Σ_l (−x_l) (YᵀY + λI)_l + Σ_i (max(c,0) − (|c| − 1)(yᵢ·x)) yᵢ */
    for (int l = 0; l < k; l++) ap[l] = -xu[l];
    combine(r, yty, 0, ap, k, k, 0);
    for (int b = start; b < end; b += BLOCK) {
      int m = end - b < BLOCK ? end - b : BLOCK;
      int ma = active - b < 0 ? 0 : (active - b < m ? active - b : m);
      dots(t, y, indices + b, ma, xu, k);
      for (int j = 0; j < ma; j++) t[j] = target[b + j] - weight[b + j] * t[j];
      for (int j = ma; j < m; j++) t[j] = target[b + j];
      combine(r, y, indices + b, t, m, k, 1);
    }
    for (int l = 0; l < k; l++) p[l] = r[l];
    float rsold = dot(r, r, k);
    if (rsold < 1e-20f) continue;
    for (int it = 0; it < cg_steps; it++) {
      /* ap = (YᵀY + λI) p + Σ_i (|c| − 1)(yᵢ·p) yᵢ */
      combine(ap, yty, 0, p, k, k, 0);
      for (int b = start; b < active; b += BLOCK) {
        int m = active - b < BLOCK ? active - b : BLOCK;
        dots(t, y, indices + b, m, p, k);
        for (int j = 0; j < m; j++) t[j] *= weight[b + j];
        combine(ap, y, indices + b, t, m, k, 1);
      }
      float alpha = rsold / dot(p, ap, k);
      for (int l = 0; l < k; l++) {
        xu[l] += alpha * p[l];
        r[l] -= alpha * ap[l];
      }
      float rsnew = dot(r, r, k);
      if (rsnew < 1e-20f) break;
      float beta = rsnew / rsold;
      for (int l = 0; l < k; l++) p[l] = r[l] + beta * p[l];
      rsold = rsnew;
    }
  }
}

/* out[0, 8) += (double) a, b: the float32 sums of one tile row flushed into the float64 result. */
static inline void flush8(double *out, v128_t a, v128_t b) {
  wasm_v128_store(out, wasm_f64x2_add(wasm_v128_load(out), wasm_f64x2_promote_low_f32x4(a)));
  wasm_v128_store(out + 2, wasm_f64x2_add(wasm_v128_load(out + 2), wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(a, a, 2, 3, 0, 1))));
  wasm_v128_store(out + 4, wasm_f64x2_add(wasm_v128_load(out + 4), wasm_f64x2_promote_low_f32x4(b)));
  wasm_v128_store(out + 6, wasm_f64x2_add(wasm_v128_load(out + 6), wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(b, b, 2, 3, 0, 1))));
}

/* Rows summed in float32 before each flush into the float64 result. */
#define GRAM_BLOCK 64

/*
 * out (k x k float64) += Σ rows [row_start, row_end) fᵀf on the upper triangle (entries below the
 * diagonal inside diagonal tiles get sums too: callers mirror the upper triangle). Rows go in blocks
 * of GRAM_BLOCK summed in float32 (a block stays in L1 while every output tile sweeps it), each block's
 * sums then added in float64. Tiles are 2 rows x 8 columns (four accumulators), then 2 x 4.
 */
EXPORT("gram_rows")
void gram_rows(double *out, const float *f, int k, int row_start, int row_end) {
  int k4 = k & ~3, k8 = k & ~7;
  for (int r0 = row_start; r0 < row_end; r0 += GRAM_BLOCK) {
    int r1 = r0 + GRAM_BLOCK < row_end ? r0 + GRAM_BLOCK : row_end;
    for (int a = 0; a < k4; a += 2) {
      for (int b = a & ~7; b < k8; b += 8) {
        v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
        for (int r = r0; r < r1; r++) {
          const float *row = f + (long)r * k;
          v128_t lo = wasm_v128_load(row + b), hi = wasm_v128_load(row + b + 4);
          v128_t u0 = wasm_v128_load32_splat(row + a), u1 = wasm_v128_load32_splat(row + a + 1);
          s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(u0, lo));
          s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(u0, hi));
          s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(u1, lo));
          s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(u1, hi));
        }
        flush8(out + (long)a * k + b, s0, s1);
        flush8(out + (long)(a + 1) * k + b, s2, s3);
      }
      for (int b = k8 > (a & ~3) ? k8 : (a & ~3); b < k4; b += 4) {
        v128_t s0 = wasm_f32x4_splat(0.0f), s2 = s0;
        for (int r = r0; r < r1; r++) {
          const float *row = f + (long)r * k;
          v128_t v = wasm_v128_load(row + b);
          s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load32_splat(row + a), v));
          s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load32_splat(row + a + 1), v));
        }
        double *o0 = out + (long)a * k + b, *o1 = o0 + k;
        wasm_v128_store(o0, wasm_f64x2_add(wasm_v128_load(o0), wasm_f64x2_promote_low_f32x4(s0)));
        wasm_v128_store(o0 + 2, wasm_f64x2_add(wasm_v128_load(o0 + 2), wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(s0, s0, 2, 3, 0, 1))));
        wasm_v128_store(o1, wasm_f64x2_add(wasm_v128_load(o1), wasm_f64x2_promote_low_f32x4(s2)));
        wasm_v128_store(o1 + 2, wasm_f64x2_add(wasm_v128_load(o1 + 2), wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(s2, s2, 2, 3, 0, 1))));
      }
    }
    /* Columns past the last multiple of 4 (k not divisible by 4), in float64. */
    for (int a = 0; a < k; a++) {
      for (int b = a > k4 ? a : k4; b < k; b++) {
        double s = 0.0;
        for (int r = r0; r < r1; r++) s += (double)f[(long)r * k + a] * (double)f[(long)r * k + b];
        out[(long)a * k + b] += s;
      }
    }
  }
}

static inline double dot_f64(const double *a, const double *b, int k) {
  v128_t s = wasm_f64x2_splat(0.0);
  int l = 0;
  for (; l + 2 <= k; l += 2) s = wasm_f64x2_add(s, wasm_f64x2_mul(wasm_v128_load(a + l), wasm_v128_load(b + l)));
  double r = wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
  for (; l < k; l++) r += a[l] * b[l];
  return r;
}

/*
 * Adds rows [row_start, row_end)'s share of implicit's loss numerator to out[0] and their summed
 * confidence to out[1], in float64 throughout: xᵀ(YᵀY + λI)x + Σ (|c| − 1)(x·y)² − 2 Σ max(c,0) x·y + Σ |c|.
 * a: (YᵀY + λI) as float64. scratch: 2k doubles owned by the calling thread.
 */
EXPORT("loss_rows")
void loss_rows(double *out, const float *x, const float *y, int k, const double *a, const int *indptr,
               const int *indices, const float *target, const float *weight, int row_start, int row_end,
               double *scratch) {
  double *xv = scratch, *r = scratch + k;
  double loss = 0.0, confidence = 0.0;
  for (int u = row_start; u < row_end; u++) {
    const float *xu = x + (long)u * k;
    for (int l = 0; l < k; l++) xv[l] = (double)xu[l];
    for (int j = 0; j < k; j++) r[j] = dot_f64(a + (long)j * k, xv, k);
    for (int nz = indptr[u]; nz < indptr[u + 1]; nz++) {
      const float *yi = y + (long)indices[nz] * k;
      double w = (double)weight[nz];
      double d = 0.0;
      for (int l = 0; l < k; l++) d += (double)yi[l] * xv[l];
      double coef = -2.0 * (double)target[nz] + w * d;
      for (int l = 0; l < k; l++) r[l] += coef * (double)yi[l];
      loss += w + 1.0;
      confidence += w + 1.0;
    }
    loss += dot_f64(r, xv, k);
  }
  out[0] += loss;
  out[1] += confidence;
}
