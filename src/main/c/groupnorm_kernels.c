/*
 * Fused GroupNorm kernels for the CPU (gnsweep's io.gnsweep.layer.NativeKernels; JNI), the ReLU layer's forward
 * and backward passes (io.gnsweep.layer.ReluLayer; the backward function is norm_out.h's) and the residual add with
 * its ReLU (io.gnsweep.layer.AddRelu), at the end of this file.
 *
 * The ND4J path of io.gnsweep.layer.GroupNormLayer makes ~26 passes over memory per forward + backward
 * (10 whole-tensor ops and 4 row sums); these kernels make the passes a fused kernel must make and keep
 * the rest in cache: per group of M = K·S values, the statistics pass, the variance pass and the output
 * pass read the same M values, which stay in L1/L2 between passes. Every accumulation and every
 * per-element expression is evaluated in double, and the only rounding to the array's type is the
 * final store, so float32 keeps full precision at large means (x ≈ 1e4 with σ ≈ 1).
 *
 * Layout: C-ordered [N, C, S] (S = H·W, 1 for dense input), G groups of K = C/G channels; group row
 * r = n·G + g holds M = K·S contiguous values from r·M. gamma, beta, dgamma, dbeta are contiguous [C];
 * mean and rstd are double [N·G]. All pointers come from ND4J arrays the caller checked (type, C order,
 * default strides, lengths).
 *
 * Threads: the group rows are split across OpenMP threads (libgomp, the runtime ND4J's CPU backend loads,
 * so ND4J's thread setting applies: one thread in a Spark task with spark.task.cpus = 1), only for tensors
 * of at least PARALLEL_MIN values. Each row's sums are taken by one thread in a fixed order, and dγ, dβ are
 * reduced over the samples serially afterwards, so results do not depend on the thread count.
 */
#include <jni.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>

#include "norm_out.h"

/* Below this many values a parallel region costs more than it saves. */
#define PARALLEL_MIN 65536

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define GN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GN_CLONES
#endif

NORM_OUT_DEFINE(float, f32)
NORM_OUT_DEFINE(double, f64)
NORM_BWD_DEFINE(float, f32)
NORM_BWD_DEFINE(double, f64)

/* One group row r of the forward pass: its mean and rstd, and its outputs (max(y, 0) when relu). */
#define GN_DEFINE(T, SUFFIX)                                                                              \
    GN_CLONES static void forward_row_##SUFFIX(const T *x, T *y, const T *gamma, const T *beta, int64_t r, \
                                               int64_t k, int64_t s, int64_t g, double eps, int relu,     \
                                               double *mean, double *rstd) {                              \
        const int64_t m = k * s;                                                                          \
        const T *xr = x + r * m;                                                                          \
        T *yr = y == NULL ? NULL : y + r * m;                                                             \
        double sum = 0;                                                                                   \
        for (int64_t i = 0; i < m; i++) sum += (double)xr[i];                                             \
        const double mu = sum / (double)m;                                                                \
        double sq = 0;                                                                                    \
        for (int64_t i = 0; i < m; i++) {                                                                 \
            const double d = (double)xr[i] - mu;                                                          \
            sq += d * d;                                                                                  \
        }                                                                                                 \
        const double rs = 1.0 / sqrt(sq / (double)m + eps);                                               \
        mean[r] = mu;                                                                                     \
        rstd[r] = rs;                                                                                     \
        if (y == NULL) return; /* statistics only */                                                      \
        const int64_t c0 = (r % g) * k;                                                                   \
        for (int64_t j = 0; j < k; j++) {                                                                 \
            norm_out_##SUFFIX(xr + j * s, yr + j * s, s, mu, (double)gamma[c0 + j] * rs,                 \
                              (double)beta[c0 + j], relu);                                                \
        }                                                                                                 \
    }                                                                                                     \
                                                                                                          \
    static void forward_##SUFFIX(const T *x, T *y, const T *gamma, const T *beta, int64_t n, int64_t c,   \
                                 int64_t s, int64_t g, double eps, int relu, double *mean, double *rstd) { \
        const int64_t k = c / g;                                                                          \
        _Pragma("omp parallel for schedule(static) if (n * c * s >= PARALLEL_MIN)")                       \
        for (int64_t r = 0; r < n * g; r++)                                                               \
            forward_row_##SUFFIX(x, y, gamma, beta, r, k, s, g, eps, relu, mean, rstd);                   \
    }                                                                                                     \
                                                                                                          \
    /* One group row r of the backward pass: dx = rstd·(γ_c·dy − A − x̂·B) with A = E_group[γ_c·dy],       \
       B = E_group[γ_c·dy·x̂]; Σ dy·x̂ and Σ dy per (sample, channel) into sdx and sd ([N·C]). */           \
    GN_CLONES static void backward_row_##SUFFIX(const T *x, const T *dy, T *dx, const T *gamma,           \
                                                const T *beta, int relu, const double *mean,              \
                                                const double *rstd, int64_t r, int64_t c, int64_t k,      \
                                                int64_t s, int64_t g, double *sdx, double *sd, T *buf) {  \
        const int64_t m = k * s;                                                                          \
        const T *xr = x + r * m, *dyr = dy + r * m;                                                       \
        T *dxr = dx + r * m;                                                                              \
        const double mu = mean[r], rs = rstd[r];                                                          \
        const int64_t c0 = (r % g) * k, nc0 = (r / g) * c + c0;                                           \
        /* with relu: buf holds the row's g (M values), then one channel's recomputed outputs (S) */     \
        T *gr = buf, *yb = buf == NULL ? NULL : buf + m;                                                  \
        double a = 0, b = 0;                                                                              \
        for (int64_t j = 0; j < k; j++) {                                                                 \
            const T *xc = xr + j * s, *gc = dyr + j * s;                                                  \
            if (relu) {                                                                                   \
                norm_out_##SUFFIX(xc, yb, s, mu, (double)gamma[c0 + j] * rs, (double)beta[c0 + j], 1);   \
                relu_bwd_##SUFFIX(yb, gc, gr + j * s, s);                                                 \
                gc = gr + j * s;                                                                          \
            }                                                                                             \
            double sdy = 0, sdyx = 0;                                                                     \
            norm_sums_##SUFFIX(xc, gc, s, mu, &sdy, &sdyx);                                               \
            sdyx *= rs;                                                                                   \
            sd[nc0 + j] = sdy;                                                                            \
            sdx[nc0 + j] = sdyx;                                                                          \
            a += (double)gamma[c0 + j] * sdy;                                                             \
            b += (double)gamma[c0 + j] * sdyx;                                                            \
        }                                                                                                 \
        const double ra = rs * a / (double)m, rb = rs * rs * b / (double)m;                               \
        for (int64_t j = 0; j < k; j++) {                                                                 \
            norm_dx_##SUFFIX(xr + j * s, relu ? gr + j * s : dyr + j * s, dxr + j * s, s, mu,             \
                             (double)gamma[c0 + j] * rs, rb, ra);                                         \
        }                                                                                                 \
    }                                                                                                     \
                                                                                                          \
    /* dx, and dγ_c = Σ_n Σ_s dy·x̂, dβ_c = Σ_n Σ_s dy (overwritten); sums: double [2·N·C] scratch; buf      \
       (relu only): M + S values of T per OpenMP thread (a row's masked dy, a channel's outputs). */      \
    static void backward_##SUFFIX(const T *x, const T *dy, T *dx, const T *gamma, const T *beta, int relu, \
                                  const double *mean, const double *rstd, T *dgamma, T *dbeta, int64_t n, \
                                  int64_t c, int64_t s, int64_t g, double *sums, T *buf) {                \
        const int64_t k = c / g;                                                                          \
        double *sdx = sums, *sd = sums + n * c;                                                           \
        _Pragma("omp parallel for schedule(static) if (n * c * s >= PARALLEL_MIN)")                       \
        for (int64_t r = 0; r < n * g; r++)                                                               \
            backward_row_##SUFFIX(x, dy, dx, gamma, beta, relu, mean, rstd, r, c, k, s, g, sdx, sd,       \
                                  relu ? buf + (int64_t)omp_get_thread_num() * (k * s + s) : NULL);       \
        for (int64_t j = 0; j < c; j++) {                                                                 \
            double gsum = 0, bsum = 0;                                                                    \
            for (int64_t i = 0; i < n; i++) {                                                             \
                gsum += sdx[i * c + j];                                                                   \
                bsum += sd[i * c + j];                                                                    \
            }                                                                                             \
            dgamma[j] = (T)gsum;                                                                          \
            dbeta[j] = (T)bsum;                                                                           \
        }                                                                                                 \
    }

GN_DEFINE(float, f32)
GN_DEFINE(double, f64)

/* The ReLU layer's forward pass over [lo, hi): y = x < 0 ? 0 : x (NaN stays NaN, as in libnd4j); its backward
   pass is norm_out.h's relu_bwd, which the norms with a fused ReLU share. */
#define RELU_DEFINE(T, SUFFIX)                                                                            \
    GN_CLONES static void relu_fwd_##SUFFIX(const T *x, T *y, int64_t lo, int64_t hi) {                   \
        for (int64_t i = lo; i < hi; i++) y[i] = x[i] < 0 ? (T)0 : x[i];                                  \
    }

RELU_DEFINE(float, f32)
RELU_DEFINE(double, f64)

/* A residual add with the ReLU after it (io.gnsweep.layer.AddRelu) over [lo, hi): y = max(a + b, 0), the sum
   in T as ND4J adds two arrays; backward, g = dy where a + b > 0 (the same sum again), else 0, into both
   input gradients. */
#define ADD_RELU_DEFINE(T, SUFFIX)                                                                        \
    GN_CLONES static void add_relu_fwd_##SUFFIX(const T *a, const T *b, T *y, int64_t lo, int64_t hi) {   \
        for (int64_t i = lo; i < hi; i++) {                                                               \
            const T v = a[i] + b[i];                                                                      \
            y[i] = v < 0 ? (T)0 : v;                                                                      \
        }                                                                                                 \
    }                                                                                                     \
    GN_CLONES static void add_relu_bwd_##SUFFIX(const T *a, const T *b, const T *dy, T *da, T *db,        \
                                                int64_t lo, int64_t hi) {                                 \
        for (int64_t i = lo; i < hi; i++) {                                                               \
            const T v = a[i] + b[i];                                                                      \
            const T g = v > 0 ? dy[i] : (T)0;                                                             \
            da[i] = g;                                                                                    \
            db[i] = g;                                                                                    \
        }                                                                                                 \
    }

ADD_RELU_DEFINE(float, f32)
ADD_RELU_DEFINE(double, f64)

/* Blocks of RELU_BLOCK values, split across OpenMP threads for tensors of at least PARALLEL_MIN values. */
#define RELU_BLOCK 16384

#define PTR(T, a) ((T *)(intptr_t)(a))

/* The OpenMP threads a parallel region started from the calling thread would get (for tests). */
JNIEXPORT jint JNICALL Java_io_gnsweep_layer_NativeKernels_maxThreads0(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    return omp_get_max_threads();
}

/* dtype: 0 float32, 1 float64 (io.gnsweep.layer.NativeKernels); y == 0: statistics only; relu != 0: y = max(y, 0). */
JNIEXPORT void JNICALL Java_io_gnsweep_layer_NativeKernels_forward0(JNIEnv *env, jclass cls, jint dtype, jlong x,
        jlong y, jlong gamma, jlong beta, jlong n, jlong c, jlong s, jlong g, jdouble eps, jint relu, jlong mean,
        jlong rstd) {
    (void)env;
    (void)cls;
    if (dtype == 0)
        forward_f32(PTR(float, x), PTR(float, y), PTR(float, gamma), PTR(float, beta), n, c, s, g, eps, relu,
                    PTR(double, mean), PTR(double, rstd));
    else
        forward_f64(PTR(double, x), PTR(double, y), PTR(double, gamma), PTR(double, beta), n, c, s, g, eps, relu,
                    PTR(double, mean), PTR(double, rstd));
}

/* relu != 0: the forward pass applied ReLU to its outputs (recomputed from x, mean, rstd, gamma and beta by the
   forward pass's own function, norm_out.h, for the mask; beta is read only then). Returns 0, or -1 when the
   scratch (2·N·C doubles, and with relu M + S values per thread) could not be allocated (nothing written then). */
JNIEXPORT jint JNICALL Java_io_gnsweep_layer_NativeKernels_backward0(JNIEnv *env, jclass cls, jint dtype,
        jlong x, jlong dy, jlong dx, jlong gamma, jlong beta, jint relu, jlong mean, jlong rstd, jlong dgamma,
        jlong dbeta, jlong n, jlong c, jlong s, jlong g) {
    (void)env;
    (void)cls;
    double *sums = malloc(sizeof(double) * 2 * (size_t)n * (size_t)c);
    if (sums == NULL) return -1;
    void *ybuf = NULL;
    if (relu) { /* a row's M masked gradients and a channel's S outputs for each thread a parallel region can have */
        ybuf = malloc((dtype == 0 ? sizeof(float) : sizeof(double)) * (size_t)((c / g) * s + s) *
                      (size_t)omp_get_max_threads());
        if (ybuf == NULL) {
            free(sums);
            return -1;
        }
    }
    if (dtype == 0)
        backward_f32(PTR(float, x), PTR(float, dy), PTR(float, dx), PTR(float, gamma), PTR(float, beta), relu,
                     PTR(double, mean), PTR(double, rstd), PTR(float, dgamma), PTR(float, dbeta), n, c, s, g, sums,
                     (float *)ybuf);
    else
        backward_f64(PTR(double, x), PTR(double, dy), PTR(double, dx), PTR(double, gamma), PTR(double, beta), relu,
                     PTR(double, mean), PTR(double, rstd), PTR(double, dgamma), PTR(double, dbeta), n, c, s, g,
                     sums, (double *)ybuf);
    free(ybuf);
    free(sums);
    return 0;
}

/* dy == 0: forward, y = relu(x) into out; else backward, dx = dy where x > 0, else 0, into out. */
JNIEXPORT void JNICALL Java_io_gnsweep_layer_NativeKernels_relu0(JNIEnv *env, jclass cls, jint dtype, jlong x,
        jlong dy, jlong out, jlong n) {
    (void)env;
    (void)cls;
    const int64_t blocks = (n + RELU_BLOCK - 1) / RELU_BLOCK;
#pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN)
    for (int64_t b = 0; b < blocks; b++) {
        const int64_t lo = b * RELU_BLOCK, hi = lo + RELU_BLOCK < n ? lo + RELU_BLOCK : n;
        if (dtype == 0) {
            if (dy == 0) relu_fwd_f32(PTR(float, x), PTR(float, out), lo, hi);
            else relu_bwd_f32(PTR(float, x) + lo, PTR(float, dy) + lo, PTR(float, out) + lo, hi - lo);
        } else {
            if (dy == 0) relu_fwd_f64(PTR(double, x), PTR(double, out), lo, hi);
            else relu_bwd_f64(PTR(double, x) + lo, PTR(double, dy) + lo, PTR(double, out) + lo, hi - lo);
        }
    }
}

/* dy == 0: forward, y = max(a + b, 0) into out; else backward, dy where a + b > 0, else 0, into out and out2. */
JNIEXPORT void JNICALL Java_io_gnsweep_layer_NativeKernels_addRelu0(JNIEnv *env, jclass cls, jint dtype, jlong a,
        jlong b, jlong dy, jlong out, jlong out2, jlong n) {
    (void)env;
    (void)cls;
    const int64_t blocks = (n + RELU_BLOCK - 1) / RELU_BLOCK;
#pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN)
    for (int64_t k = 0; k < blocks; k++) {
        const int64_t lo = k * RELU_BLOCK, hi = lo + RELU_BLOCK < n ? lo + RELU_BLOCK : n;
        if (dtype == 0) {
            if (dy == 0) add_relu_fwd_f32(PTR(float, a), PTR(float, b), PTR(float, out), lo, hi);
            else add_relu_bwd_f32(PTR(float, a), PTR(float, b), PTR(float, dy), PTR(float, out), PTR(float, out2), lo, hi);
        } else {
            if (dy == 0) add_relu_fwd_f64(PTR(double, a), PTR(double, b), PTR(double, out), lo, hi);
            else add_relu_bwd_f64(PTR(double, a), PTR(double, b), PTR(double, dy), PTR(double, out), PTR(double, out2),
                                  lo, hi);
        }
    }
}
