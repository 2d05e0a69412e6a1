/*
 * Fused optimiser updates for the CPU (gnsweep's io.gnsweep.optim.UpdaterKernels; JNI): Adam in DL4J's form
 * (io.gnsweep.optim.FusedAdam), SGD with momentum in PyTorch's form (io.gnsweep.optim.SgdMomentum), each also with
 * the division by the batch size before it and the parameters' step after it (io.gnsweep.optim.FusedStep), L2
 * added to the gradient before either (io.gnsweep.optim.FusedL2), and the sum of squares of L2's score.
 *
 * Each is one pass over the parameters' gradient and the updater's state, where ND4J makes one pass per
 * operation (SGD: 3-4) or runs a scalar loop (libnd4j's adam_updater: ~7 ns per value on this machine).
 * The arithmetic is ND4J's, operation for operation, in the array's own type: every product and sum is
 * rounded to that type as ND4J rounds it, and contraction into fused multiply-adds is off, so a vectorised
 * loop gives the same bits as ND4J's scalar one (the tests compare them bit for bit).
 *
 * Arrays: contiguous, n values each, checked by the caller (type, density, length). Threads: OpenMP
 * (libgomp, ND4J's runtime and thread setting) over blocks of at least PARALLEL_MIN values; every value is
 * computed alone, so results do not depend on the thread count.
 */
#include <jni.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define PARALLEL_MIN 65536
#define BLOCK 16384

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define UP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define UP_CLONES
#endif

#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")

/*
 * Adam, libnd4j's adam_updater: m = b1·m + g·(1 − b1); v = b2·v + g·g·(1 − b2); g = m·αt / (√v + ε),
 * with αt (DL4J's bias-corrected rate) computed by the caller in T as libnd4j computes it.
 */
#define ADAM_DEFINE(T, SUFFIX)                                                                              \
    UP_CLONES static void adam_##SUFFIX(T *restrict g, T *restrict m, T *restrict v, int64_t lo, int64_t hi, \
                                        T b1, T b2, T alpha, T eps) {                                       \
        const T c1 = (T)1 - b1, c2 = (T)1 - b2;                                                             \
        for (int64_t i = lo; i < hi; i++) {                                                                 \
            const T gi = g[i];                                                                              \
            const T mi = b1 * m[i] + gi * c1;                                                               \
            const T vi = b2 * v[i] + gi * gi * c2;                                                          \
            m[i] = mi;                                                                                      \
            v[i] = vi;                                                                                      \
            g[i] = (mi * alpha) / (sqrt##SUFFIX(vi) + eps);                                                 \
        }                                                                                                   \
    }

/*
 * Adam with the step around it, as DL4J takes it for a network's parameters: the gradient divided by the batch
 * size first (DL4J's division of the minibatch's summed gradient, a scalar division in T), L2 added where c is not 0
 * (g + c·w with the parameters before the step, as l2_), the update as in adam_, then the parameters' step
 * p = p − update (DL4J's step function, a subtraction in T); the same bits as those passes, in one. The gradient
 * array is only read: the update goes into p, not back into g.
 */
#define ADAM_STEP_LOOP(T, SUFFIX, L2)                                                                       \
    for (int64_t i = lo; i < hi; i++) {                                                                     \
        T gi = g[i] / divisor;                                                                              \
        L2;                                                                                                 \
        const T mi = b1 * m[i] + gi * c1;                                                                   \
        const T vi = b2 * v[i] + gi * gi * c2;                                                              \
        m[i] = mi;                                                                                          \
        v[i] = vi;                                                                                          \
        p[i] = p[i] - (mi * alpha) / (sqrt##SUFFIX(vi) + eps);                                              \
    }
#define ADAM_STEP_DEFINE(T, SUFFIX)                                                                         \
    UP_CLONES static void adam_step_##SUFFIX(const T *restrict g, T *restrict m, T *restrict v,            \
                                             T *restrict p, int64_t lo, int64_t hi, T b1, T b2, T alpha,   \
                                             T eps, T divisor, T c) {                                      \
        const T c1 = (T)1 - b1, c2 = (T)1 - b2;                                                             \
        if (c == 0) {                                                                                       \
            ADAM_STEP_LOOP(T, SUFFIX, (void)0)                                                              \
        } else {                                                                                            \
            ADAM_STEP_LOOP(T, SUFFIX, gi = gi + c * p[i])                                                   \
        }                                                                                                   \
    }

/* SGD with momentum and the step around it (see adam_step_): g / divisor, L2, then as sgd_, then p = p − update. */
#define SGD_STEP_LOOP(T, L2)                                                                                   \
    if (v == NULL) {                                                                                        \
        for (int64_t i = lo; i < hi; i++) {                                                                 \
            T gi = g[i] / divisor;                                                                          \
            L2;                                                                                             \
            p[i] = p[i] - gi * lr;                                                                          \
        }                                                                                                   \
    } else if (nesterov) {                                                                                  \
        for (int64_t i = lo; i < hi; i++) {                                                                 \
            T gi = g[i] / divisor;                                                                          \
            L2;                                                                                             \
            const T vi = v[i] * mu + gi;                                                                    \
            v[i] = vi;                                                                                      \
            p[i] = p[i] - (gi + vi * mu) * lr;                                                              \
        }                                                                                                   \
    } else {                                                                                                \
        for (int64_t i = lo; i < hi; i++) {                                                                 \
            T gi = g[i] / divisor;                                                                          \
            L2;                                                                                             \
            const T vi = v[i] * mu + gi;                                                                    \
            v[i] = vi;                                                                                      \
            p[i] = p[i] - vi * lr;                                                                          \
        }                                                                                                   \
    }
#define SGD_STEP_DEFINE(T, SUFFIX)                                                                          \
    UP_CLONES static void sgd_step_##SUFFIX(const T *restrict g, T *restrict v, T *restrict p, int64_t lo,  \
                                            int64_t hi, T lr, T mu, int nesterov, T divisor, T c) {        \
        if (c == 0) {                                                                                       \
            SGD_STEP_LOOP(T, (void)0)                                                                          \
        } else {                                                                                            \
            SGD_STEP_LOOP(T, gi = gi + c * p[i])                                                               \
        }                                                                                                   \
    }

/* SGD with momentum: v = mu·v + g; g = lr·v (heavy ball) or lr·(g + mu·v) (nesterov); mu = 0: g = lr·g. */
#define SGD_DEFINE(T, SUFFIX)                                                                               \
    UP_CLONES static void sgd_##SUFFIX(T *restrict g, T *restrict v, int64_t lo, int64_t hi, T lr, T mu,    \
                                       int nesterov) {                                                      \
        if (v == NULL) {                                                                                    \
            for (int64_t i = lo; i < hi; i++) g[i] = g[i] * lr;                                             \
        } else if (nesterov) {                                                                              \
            for (int64_t i = lo; i < hi; i++) {                                                             \
                const T vi = v[i] * mu + g[i];                                                              \
                v[i] = vi;                                                                                  \
                g[i] = (g[i] + vi * mu) * lr;                                                               \
            }                                                                                               \
        } else {                                                                                            \
            for (int64_t i = lo; i < hi; i++) {                                                             \
                const T vi = v[i] * mu + g[i];                                                              \
                v[i] = vi;                                                                                  \
                g[i] = vi * lr;                                                                             \
            }                                                                                               \
        }                                                                                                   \
    }

/* L2 before the updater, libnd4j's Axpy op as DL4J's L2Regularization runs it: g = g + c·w. */
#define L2_DEFINE(T, SUFFIX)                                                                                \
    UP_CLONES static void l2_##SUFFIX(T *restrict g, const T *restrict w, int64_t lo, int64_t hi, T c) {    \
        for (int64_t i = lo; i < hi; i++) g[i] = g[i] + c * w[i];                                           \
    }

/*
 * Σ w² in double, for L2's score: eight partial sums over interleaved values, added pairwise at the end (a fixed
 * order, so the same bits on every run and thread count; closer to the exact sum than one float accumulator).
 */
#define SUMSQ_DEFINE(T, SUFFIX)                                                                             \
    UP_CLONES static double sumsq_##SUFFIX(const T *restrict w, int64_t n) {                                \
        double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                             \
        int64_t i = 0;                                                                                      \
        for (; i + 8 <= n; i += 8)                                                                          \
            for (int k = 0; k < 8; k++) {                                                                   \
                const double x = (double)w[i + k];                                                          \
                s[k] += x * x;                                                                              \
            }                                                                                               \
        for (int k = 0; i < n; i++, k++) {                                                                  \
            const double x = (double)w[i];                                                                  \
            s[k] += x * x;                                                                                  \
        }                                                                                                   \
        return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));                           \
    }

#define sqrtf32 sqrtf
#define sqrtf64 sqrt
ADAM_DEFINE(float, f32)
ADAM_DEFINE(double, f64)
ADAM_STEP_DEFINE(float, f32)
ADAM_STEP_DEFINE(double, f64)
SGD_DEFINE(float, f32)
SGD_DEFINE(double, f64)
SGD_STEP_DEFINE(float, f32)
SGD_STEP_DEFINE(double, f64)
L2_DEFINE(float, f32)
L2_DEFINE(double, f64)
SUMSQ_DEFINE(float, f32)
SUMSQ_DEFINE(double, f64)

#pragma GCC pop_options

#define PTR(T, a) ((T *)(intptr_t)(a))

/*
 * Runs the statement given (which reads lo and hi) over [0, n) in blocks of BLOCK values, on OpenMP's threads
 * from PARALLEL_MIN values up.
 */
#define FOR_BLOCKS(n, ...)                                                                                  \
    do {                                                                                                    \
        const int64_t n_ = (n), blocks_ = (n_ + BLOCK - 1) / BLOCK;                                         \
        _Pragma("omp parallel for schedule(static) if (n_ >= PARALLEL_MIN)")                                \
        for (int64_t b_ = 0; b_ < blocks_; b_++) {                                                          \
            const int64_t lo = b_ * BLOCK, hi = lo + BLOCK < n_ ? lo + BLOCK : n_;                          \
            __VA_ARGS__;                                                                                    \
        }                                                                                                   \
    } while (0)

/* dtype: 0 float32, 1 float64 (io.gnsweep.optim.UpdaterKernels). */
JNIEXPORT void JNICALL Java_io_gnsweep_optim_UpdaterKernels_adam0(JNIEnv *env, jclass cls, jint dtype, jlong g,
        jlong m, jlong v, jlong n, jdouble b1, jdouble b2, jdouble alpha, jdouble eps) {
    (void)env;
    (void)cls;
    if (dtype == 0)
        FOR_BLOCKS(n, adam_f32(PTR(float, g), PTR(float, m), PTR(float, v), lo, hi, (float)b1, (float)b2,
                               (float)alpha, (float)eps));
    else
        FOR_BLOCKS(n, adam_f64(PTR(double, g), PTR(double, m), PTR(double, v), lo, hi, b1, b2, alpha, eps));
}

/*
 * Runs the statement given (which reads seg_lo, seg_hi and c) over the parts of [lo_, hi_) in each of the k segments
 * [start[j], start[j + 1]) with L2 coefficient coef[j].
 */
#define FOR_SEGMENTS(lo_, hi_, start, coef, k, ...)                                                         \
    for (int j_ = 0; j_ < (k); j_++) {                                                                      \
        const int64_t seg_lo = (start)[j_] > (lo_) ? (start)[j_] : (lo_);                                   \
        const int64_t seg_hi = (start)[j_ + 1] < (hi_) ? (start)[j_ + 1] : (hi_);                           \
        const double c = (coef)[j_];                                                                        \
        if (seg_lo < seg_hi) {                                                                              \
            __VA_ARGS__;                                                                                    \
        }                                                                                                   \
    }

/* Copies the k segments' bounds (k + 1 values from 0 to n) and L2 coefficients (k); k, or 0 without memory. */
static int segments(JNIEnv *env, jlongArray starts, jdoubleArray coefs, jlong **s, jdouble **c) {
    const int k = (*env)->GetArrayLength(env, coefs);
    *s = malloc(sizeof(jlong) * (size_t)(k + 1));
    *c = malloc(sizeof(jdouble) * (size_t)(k > 0 ? k : 1));
    if (!*s || !*c || k < 1) {
        free(*s);
        free(*c);
        return 0;
    }
    (*env)->GetLongArrayRegion(env, starts, 0, k + 1, *s);
    (*env)->GetDoubleArrayRegion(env, coefs, 0, k, *c);
    return k;
}

static void release_segments(jlong *s, jdouble *c) {
    free(s);
    free(c);
}

JNIEXPORT void JNICALL Java_io_gnsweep_optim_UpdaterKernels_adamStep0(JNIEnv *env, jclass cls, jint dtype,
        jlong g, jlong m, jlong v, jlong p, jlong n, jdouble b1, jdouble b2, jdouble alpha, jdouble eps,
        jdouble divisor, jlongArray starts, jdoubleArray coefs) {
    (void)cls;
    jlong *s;
    jdouble *cf;
    const int k = segments(env, starts, coefs, &s, &cf);
    if (!k) return;
    if (dtype == 0)
        FOR_BLOCKS(n, FOR_SEGMENTS(lo, hi, s, cf, k,
                   adam_step_f32(PTR(float, g), PTR(float, m), PTR(float, v), PTR(float, p), seg_lo, seg_hi, (float)b1,
                                 (float)b2, (float)alpha, (float)eps, (float)divisor, (float)c)));
    else
        FOR_BLOCKS(n, FOR_SEGMENTS(lo, hi, s, cf, k,
                   adam_step_f64(PTR(double, g), PTR(double, m), PTR(double, v), PTR(double, p), seg_lo, seg_hi, b1, b2,
                                 alpha, eps, divisor, c)));
    release_segments(s, cf);
}

/* v == 0: no momentum state (mu = 0). */
JNIEXPORT void JNICALL Java_io_gnsweep_optim_UpdaterKernels_sgdStep0(JNIEnv *env, jclass cls, jint dtype, jlong g,
        jlong v, jlong p, jlong n, jdouble lr, jdouble mu, jboolean nesterov, jdouble divisor, jlongArray starts,
        jdoubleArray coefs) {
    (void)cls;
    jlong *s;
    jdouble *cf;
    const int k = segments(env, starts, coefs, &s, &cf);
    if (!k) return;
    if (dtype == 0)
        FOR_BLOCKS(n, FOR_SEGMENTS(lo, hi, s, cf, k,
                   sgd_step_f32(PTR(float, g), PTR(float, v), PTR(float, p), seg_lo, seg_hi, (float)lr, (float)mu,
                                nesterov, (float)divisor, (float)c)));
    else
        FOR_BLOCKS(n, FOR_SEGMENTS(lo, hi, s, cf, k,
                   sgd_step_f64(PTR(double, g), PTR(double, v), PTR(double, p), seg_lo, seg_hi, lr, mu, nesterov, divisor,
                                c)));
    release_segments(s, cf);
}

/* v == 0: no momentum state (mu = 0). */
JNIEXPORT void JNICALL Java_io_gnsweep_optim_UpdaterKernels_sgd0(JNIEnv *env, jclass cls, jint dtype, jlong g,
        jlong v, jlong n, jdouble lr, jdouble mu, jboolean nesterov) {
    (void)env;
    (void)cls;
    if (dtype == 0)
        FOR_BLOCKS(n, sgd_f32(PTR(float, g), PTR(float, v), lo, hi, (float)lr, (float)mu, nesterov));
    else
        FOR_BLOCKS(n, sgd_f64(PTR(double, g), PTR(double, v), lo, hi, lr, mu, nesterov));
}

JNIEXPORT void JNICALL Java_io_gnsweep_optim_UpdaterKernels_l20(JNIEnv *env, jclass cls, jint dtype, jlong g,
        jlong w, jlong n, jdouble c) {
    (void)env;
    (void)cls;
    if (dtype == 0)
        FOR_BLOCKS(n, l2_f32(PTR(float, g), PTR(float, w), lo, hi, (float)c));
    else
        FOR_BLOCKS(n, l2_f64(PTR(double, g), PTR(double, w), lo, hi, c));
}

JNIEXPORT jdouble JNICALL Java_io_gnsweep_optim_UpdaterKernels_sumSquares0(JNIEnv *env, jclass cls, jint dtype,
        jlong w, jlong n) {
    (void)env;
    (void)cls;
    return dtype == 0 ? sumsq_f32(PTR(float, w), n) : sumsq_f64(PTR(double, w), n);
}
