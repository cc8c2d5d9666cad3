/*
 * WebAssembly SIMD kernels of implicit ALS: the conjugate-gradient row update (as the `implicit`
 * library's least_squares_cg, float32 like its BLAS calls) and Gram partials (float64 accumulation).
 * Built by src/kernels/build.sh into als-wasm.ts (committed), so no C toolchain is needed to use it.
 * No stack, no globals, no allocation: every instance (one per thread) shares one linear memory and
 * works only through the pointers it is given, which keeps threads from touching each other's data.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

static inline float hsum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

static inline float dot(const float *a, const float *b, int k) {
  v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
  int l = 0;
  for (; l + 8 <= k; l += 8) {
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + l), wasm_v128_load(b + l)));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(a + l + 4), wasm_v128_load(b + l + 4)));
  }
  for (; l + 4 <= k; l += 4) s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + l), wasm_v128_load(b + l)));
  float s = hsum(wasm_f32x4_add(s0, s1));
  for (; l < k; l++) s += a[l] * b[l];
  return s;
}

/* Two dot products against the same v in one pass (halves the loads of v). */
static inline void dot2(const float *a, const float *b, const float *v, int k, float *da, float *db) {
  v128_t sa = wasm_f32x4_splat(0.0f), sb = sa;
  int l = 0;
  for (; l + 4 <= k; l += 4) {
    v128_t vv = wasm_v128_load(v + l);
    sa = wasm_f32x4_add(sa, wasm_f32x4_mul(wasm_v128_load(a + l), vv));
    sb = wasm_f32x4_add(sb, wasm_f32x4_mul(wasm_v128_load(b + l), vv));
  }
  float ra = hsum(sa), rb = hsum(sb);
  for (; l < k; l++) {
    ra += a[l] * v[l];
    rb += b[l] * v[l];
  }
  *da = ra;
  *db = rb;
}

static inline void axpy(float t, const float *y, float *out, int k) {
  v128_t tv = wasm_f32x4_splat(t);
  int l = 0;
  for (; l + 4 <= k; l += 4) wasm_v128_store(out + l, wasm_f32x4_add(wasm_v128_load(out + l), wasm_f32x4_mul(tv, wasm_v128_load(y + l))));
  for (; l < k; l++) out[l] += t * y[l];
}

/* out += ta * a + tb * b in one pass. */
static inline void axpy2(float ta, const float *a, float tb, const float *b, float *out, int k) {
  v128_t va = wasm_f32x4_splat(ta), vb = wasm_f32x4_splat(tb);
  int l = 0;
  for (; l + 4 <= k; l += 4) {
    v128_t o = wasm_v128_load(out + l);
    o = wasm_f32x4_add(o, wasm_f32x4_mul(va, wasm_v128_load(a + l)));
    o = wasm_f32x4_add(o, wasm_f32x4_mul(vb, wasm_v128_load(b + l)));
    wasm_v128_store(out + l, o);
  }
  for (; l < k; l++) out[l] += ta * a[l] + tb * b[l];
}

/* out = A v for a symmetric k x k float32 matrix (both triangles stored), four rows per pass. */
static void matvec(const float *a, const float *v, float *out, int k) {
  int j = 0;
  for (; j + 4 <= k; j += 4) {
    const float *a0 = a + j * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
    int l = 0;
    for (; l + 4 <= k; l += 4) {
      v128_t vv = wasm_v128_load(v + l);
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a0 + l), vv));
      s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(a1 + l), vv));
      s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(a2 + l), vv));
      s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(a3 + l), vv));
    }
    float r0 = hsum(s0), r1 = hsum(s1), r2 = hsum(s2), r3 = hsum(s3);
    for (; l < k; l++) {
      r0 += a0[l] * v[l];
      r1 += a1[l] * v[l];
      r2 += a2[l] * v[l];
      r3 += a3[l] * v[l];
    }
    out[j] = r0;
    out[j + 1] = r1;
    out[j + 2] = r2;
    out[j + 3] = r3;
  }
  for (; j < k; j++) out[j] = dot(a + j * k, v, k);
}

/*
 * CG update of rows [row_start, row_end) of x, warm-started from their current values.
 * yty: (YᵀY + λI) as float32 k x k. target = max(c, 0), weight = |c| − 1 per interaction.
 * scratch: 3k floats owned by the calling thread.
 */
EXPORT("cg_update_rows")
void cg_update_rows(float *x, const float *y, int k, const float *yty, const int *indptr, const int *indices,
                    const float *target, const float *weight, int row_start, int row_end, int cg_steps,
                    float *scratch) {
  float *r = scratch, *p = scratch + k, *ap = scratch + 2 * k;
  for (int u = row_start; u < row_end; u++) {
    int start = indptr[u], end = indptr[u + 1];
    float *xu = x + (long)u * k;
    if (start == end) {
      for (int l = 0; l < k; l++) xu[l] = 0.0f;
      continue;
    }
    matvec(yty, xu, r, k);
    for (int l = 0; l < k; l++) r[l] = -r[l];
    for (int nz = start; nz < end; nz++) {
      const float *yi = y + (long)indices[nz] * k;
      axpy(target[nz] - weight[nz] * dot(yi, xu, k), yi, r, k);
    }
    for (int l = 0; l < k; l++) p[l] = r[l];
    float rsold = dot(r, r, k);
    if (rsold < 1e-20f) continue;
    for (int it = 0; it < cg_steps; it++) {
      matvec(yty, p, ap, k);
      /* Interactions with c = 1 add nothing to A (exact skip); the rest go two at a time. */
      const float *pending = 0;
      float pending_w = 0.0f;
      for (int nz = start; nz < end; nz++) {
        float w = weight[nz];
        if (w == 0.0f) continue;
        const float *yi = y + (long)indices[nz] * k;
        if (!pending) {
          pending = yi;
          pending_w = w;
          continue;
        }
        float da, db;
        dot2(pending, yi, p, k, &da, &db);
        axpy2(pending_w * da, pending, w * db, yi, ap, k);
        pending = 0;
      }
      if (pending) axpy(pending_w * dot(pending, p, k), pending, ap, k);
      float alpha = rsold / dot(p, ap, k);
      axpy(alpha, p, xu, k);
      axpy(-alpha, ap, r, k);
      float rsnew = dot(r, r, k);
      if (rsnew < 1e-20f) break;
      float beta = rsnew / rsold;
      v128_t bv = wasm_f32x4_splat(beta);
      int l = 0;
      for (; l + 4 <= k; l += 4) wasm_v128_store(p + l, wasm_f32x4_add(wasm_v128_load(r + l), wasm_f32x4_mul(bv, wasm_v128_load(p + l))));
      for (; l < k; l++) p[l] = r[l] + beta * p[l];
      rsold = rsnew;
    }
  }
}

/*
 * out (k x k float64, upper triangle and diagonal tiles) += Σ rows [row_start, row_end) fᵀf.
 * Rows are taken in blocks of 32 so a block stays in L1 while every 4 x 4 output tile sweeps it.
 */
EXPORT("gram_rows")
void gram_rows(double *out, const float *f, int k, int row_start, int row_end) {
  const int block = 32;
  int k4 = k & ~3;
  for (int r0 = row_start; r0 < row_end; r0 += block) {
    int r1 = r0 + block < row_end ? r0 + block : row_end;
    for (int a = 0; a < k4; a += 4) {
      for (int b = a; b < k4; b += 4) {
        v128_t acc[8];
        for (int t = 0; t < 8; t++) acc[t] = wasm_f64x2_splat(0.0);
        for (int r = r0; r < r1; r++) {
          const float *row = f + (long)r * k;
          v128_t vb = wasm_v128_load(row + b);
          v128_t lo = wasm_f64x2_promote_low_f32x4(vb);
          v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(vb, vb, 2, 3, 0, 1));
          for (int t = 0; t < 4; t++) {
            v128_t ua = wasm_f64x2_splat((double)row[a + t]);
            acc[2 * t] = wasm_f64x2_add(acc[2 * t], wasm_f64x2_mul(ua, lo));
            acc[2 * t + 1] = wasm_f64x2_add(acc[2 * t + 1], wasm_f64x2_mul(ua, hi));
          }
        }
        for (int t = 0; t < 4; t++) {
          double *o = out + (long)(a + t) * k + b;
          wasm_v128_store(o, wasm_f64x2_add(wasm_v128_load(o), acc[2 * t]));
          wasm_v128_store(o + 2, wasm_f64x2_add(wasm_v128_load(o + 2), acc[2 * t + 1]));
        }
      }
    }
    /* Columns past the last multiple of 4 (k not divisible by 4), scalar. */
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
