/*
 * Fused BatchNorm kernels for the CPU (gnsweep's io.gnsweep.layer.BatchNormLayer through
 * io.gnsweep.layer.NativeKernels; JNI), with the semantics of DL4J 1.0.0-M2.1's BatchNormalization layer:
 *
 *   training:   μ_c = mean_{n,s} x,  σ²_c = mean_{n,s} (x − μ_c)²  (biased, over the M = N·S values of channel c)
 *   inference:  μ_c, σ²_c from the running statistics (σ² = (10^log10std)² when they are kept as log10 std)
 *   x̂ = (x − μ_c) / sqrt(σ²_c + eps),   y = γ_c · x̂ + β_c
 *
 * and the step DL4J's NoOp updater takes on the running statistics (param −= "gradient"), taken here in the
 * backward pass, the "gradients" then left zero:
 *   dμ_run = (1 − decay)·(μ_run − μ_c);   variance kept as is: dσ²_run = (1 − decay)·(σ²_run − σ²_c);
 *   kept as log10 std: dℓ = log10 sqrt(σ²_run / (decay·σ²_run + (1 − decay)·σ²_c)), so ℓ − dℓ = log10 std of the new variance.
 *
 * Layout: C-ordered [N, C, S] (S = H·W, 1 for dense input): channel c of sample n holds S contiguous values from
 * (n·C + c)·S. gamma, beta, the running statistics and their gradients are contiguous [C] of the array's type;
 * mean and var (the batch statistics kept between the forward and backward pass) are double [C]. The caller
 * (NativeKernels) checked every array's type, order, strides and length.
 *
 * Passes over memory: forward, a mean pass, a variance pass and the output pass over each channel's values (the
 * first two re-read values still in cache); backward, one pass over x and dy for Σ dy and Σ dy·(x − μ), then the
 * pass that writes dx. Every sum and every per-element expression is evaluated in double; the only rounding to
 * the array's type is the final store.
 *
 * Threads: channels are split across OpenMP threads (libgomp, the runtime ND4J's CPU backend loads, so ND4J's
 * thread setting applies), only for tensors of at least BN_PARALLEL_MIN values. Each channel's sums are taken by
 * one thread in a fixed order, so results do not depend on the thread count.
 */
#include <jni.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>

#include "norm_out.h"

/* Below this many values a parallel region costs more than it saves (as in groupnorm_kernels.c). */
#define BN_PARALLEL_MIN 65536

/* pow's default version is GLIBC_2.29; bind the one every x86-64 glibc has, so the library keeps loading on
   older cluster nodes (log10 has only the old version). */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
__asm__(".symver pow,pow@GLIBC_2.2.5");
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define BN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BN_CLONES
#endif

/* The per-channel scale of the output, γ_c / sqrt(σ² + eps): the forward pass's, and the backward pass's for a
   fused ReLU's mask (whose outputs norm_out.h's function recomputes). */
#define BN_SCALE(gamma_c, v, eps) ((double)(gamma_c) / sqrt((v) + (eps)))

NORM_OUT_DEFINE(float, f32)
NORM_OUT_DEFINE(double, f64)
NORM_BWD_DEFINE(float, f32)
NORM_BWD_DEFINE(double, f64)

#define BN_DEFINE(T, SUFFIX)                                                                              \
    /* Channel ch's batch mean and biased variance. */                                                   \
    BN_CLONES static void bn_stats_##SUFFIX(const T *x, int64_t n, int64_t c, int64_t s, int64_t ch,      \
                                            double *mean, double *var) {                                 \
        const double m = (double)(n * s);                                                                 \
        double sum = 0;                                                                                   \
        for (int64_t i = 0; i < n; i++) {                                                                 \
            const T *xc = x + (i * c + ch) * s;                                                           \
            for (int64_t j = 0; j < s; j++) sum += (double)xc[j];                                         \
        }                                                                                                 \
        const double mu = sum / m;                                                                        \
        double sq = 0;                                                                                    \
        for (int64_t i = 0; i < n; i++) {                                                                 \
            const T *xc = x + (i * c + ch) * s;                                                           \
            for (int64_t j = 0; j < s; j++) {                                                             \
                const double d = (double)xc[j] - mu;                                                      \
                sq += d * d;                                                                              \
            }                                                                                             \
        }                                                                                                 \
        mean[ch] = mu;                                                                                    \
        var[ch] = sq / m;                                                                                 \
    }                                                                                                     \
                                                                                                          \
    /* y = (x − μ)·a + β_c for channel ch, a = γ_c / sqrt(σ² + eps); max(y, 0) when relu. */              \
    static void bn_apply_##SUFFIX(const T *x, T *y, int64_t n, int64_t c, int64_t s, int64_t ch,          \
                                  double mu, double a, double b, int relu) {                              \
        for (int64_t i = 0; i < n; i++)                                                                   \
            norm_out_##SUFFIX(x + (i * c + ch) * s, y + (i * c + ch) * s, s, mu, a, b, relu);             \
    }                                                                                                     \
                                                                                                          \
    /* Training (run_mean == NULL): batch statistics into mean, var, and y unless y == NULL. Inference:   \
       y from the running statistics run_mean and run_stat (a variance, or log10 std when log_std). */    \
    static void bn_forward_##SUFFIX(const T *x, T *y, const T *gamma, const T *beta, int64_t n, int64_t c, \
                                    int64_t s, double eps, int relu, const T *run_mean, const T *run_stat, \
                                    int log_std, double *mean, double *var) {                             \
        _Pragma("omp parallel for schedule(static) if (n * c * s >= BN_PARALLEL_MIN)")                    \
        for (int64_t ch = 0; ch < c; ch++) {                                                              \
            double mu, v;                                                                                 \
            if (run_mean == NULL) {                                                                       \
                bn_stats_##SUFFIX(x, n, c, s, ch, mean, var);                                             \
                mu = mean[ch];                                                                            \
                v = var[ch];                                                                              \
            } else {                                                                                      \
                mu = (double)run_mean[ch];                                                                \
                if (log_std) {                                                                            \
                    const double sd = pow(10.0, (double)run_stat[ch]);                                    \
                    v = sd * sd;                                                                          \
                } else {                                                                                  \
                    v = (double)run_stat[ch];                                                             \
                }                                                                                         \
            }                                                                                             \
            if (y != NULL)                                                                                \
                bn_apply_##SUFFIX(x, y, n, c, s, ch, mu, BN_SCALE(gamma[ch], v, eps), (double)beta[ch],   \
                                  relu);                                                                  \
        }                                                                                                 \
    }                                                                                                     \
                                                                                                          \
    /* Channel ch of the backward pass: with x̂ = (x − μ)·r, r = 1/sqrt(σ² + eps), dβ = Σ dy, dγ = Σ dy·x̂,  \
       dx = γ·r·(dy − dβ/M − x̂·dγ/M) = p·dy − (x − μ)·q − o. */                                           \
    static void bn_backward_channel_##SUFFIX(const T *x, const T *dy, T *dx, const T *gamma, const T *beta,\
                                             int relu, double mu, double v, double eps, int64_t n, int64_t c,\
                                             int64_t s, int64_t ch, T *dgamma, T *dbeta, T *buf) {        \
        const double m = (double)(n * s), r = 1.0 / sqrt(v + eps);                                        \
        /* with relu: buf holds the channel's g (N·S values), then one row's recomputed outputs (S) */    \
        T *gch = buf, *yb = buf == NULL ? NULL : buf + n * s;                                             \
        double sdy = 0, sdyx = 0;                                                                         \
        for (int64_t i = 0; i < n; i++) {                                                                 \
            const T *xc = x + (i * c + ch) * s, *gc = dy + (i * c + ch) * s;                              \
            if (relu) {                                                                                   \
                norm_out_##SUFFIX(xc, yb, s, mu, BN_SCALE(gamma[ch], v, eps), (double)beta[ch], 1);       \
                relu_bwd_##SUFFIX(yb, gc, gch + i * s, s);                                                \
                gc = gch + i * s;                                                                         \
            }                                                                                             \
            norm_sums_##SUFFIX(xc, gc, s, mu, &sdy, &sdyx);                                               \
        }                                                                                                 \
        const double dg = sdyx * r;                                                                       \
        dgamma[ch] = (T)dg;                                                                               \
        dbeta[ch] = (T)sdy;                                                                               \
        const double p = (double)gamma[ch] * r, q = p * r * dg / m, o = p * sdy / m;                      \
        for (int64_t i = 0; i < n; i++)                                                                   \
            norm_dx_##SUFFIX(x + (i * c + ch) * s, relu ? gch + i * s : dy + (i * c + ch) * s,            \
                             dx + (i * c + ch) * s, s, mu, p, q, o);                                      \
    }                                                                                                     \
                                                                                                          \
    /* dx, dγ, dβ from the batch statistics mean, var; and the running statistics' step by their gradients     \
     * (see top): run −= gradient, rounded as the updater's step rounds it, and gradient = 0. */                \
    static void bn_backward_##SUFFIX(const T *x, const T *dy, T *dx, const T *gamma, const T *beta,       \
                                     int relu, const double *mean, const double *var, T *dgamma,          \
                                     T *dbeta, int64_t n, int64_t c, int64_t s, double eps, T *run_mean,  \
                                     T *run_stat, T *drun_mean, T *drun_stat, double decay,               \
                                     int log_std, T *ybuf) {                                              \
        _Pragma("omp parallel for schedule(static) if (n * c * s >= BN_PARALLEL_MIN)")                    \
        for (int64_t ch = 0; ch < c; ch++) {                                                              \
            bn_backward_channel_##SUFFIX(x, dy, dx, gamma, beta, relu, mean[ch], var[ch], eps, n, c, s,   \
                                         ch, dgamma, dbeta,                                               \
                                         relu ? ybuf + (int64_t)omp_get_thread_num() * (n * s + s) : NULL); \
            const T gm = (T)(((double)run_mean[ch] - mean[ch]) * (1.0 - decay));                          \
            T gs;                                                                                         \
            if (log_std) {                                                                                \
                const double sd = pow(10.0, (double)run_stat[ch]), vi = sd * sd;                          \
                const double vi1 = decay * vi + (1.0 - decay) * var[ch];                                  \
                gs = (T)(0.5 * log10(vi / vi1));                                                          \
            } else {                                                                                      \
                gs = (T)(((double)run_stat[ch] - var[ch]) * (1.0 - decay));                               \
            }                                                                                             \
            run_mean[ch] = run_mean[ch] - gm;                                                             \
            run_stat[ch] = run_stat[ch] - gs;                                                             \
            drun_mean[ch] = 0;                                                                            \
            drun_stat[ch] = 0;                                                                            \
        }                                                                                                 \
    }

BN_DEFINE(float, f32)
BN_DEFINE(double, f64)

#define BN_PTR(T, a) ((T *)(intptr_t)(a))

/* dtype: 0 float32, 1 float64. run_mean == 0: training (batch statistics into mean and var, double [C]; y == 0:
   statistics only); else inference from run_mean and run_stat (log10 std when log_std != 0). relu != 0:
   y = max(y, 0). */
JNIEXPORT void JNICALL Java_io_gnsweep_layer_NativeKernels_bnForward0(JNIEnv *env, jclass cls, jint dtype, jlong x,
        jlong y, jlong gamma, jlong beta, jlong n, jlong c, jlong s, jdouble eps, jint relu, jlong run_mean,
        jlong run_stat, jint log_std, jlong mean, jlong var) {
    (void)env;
    (void)cls;
    if (dtype == 0)
        bn_forward_f32(BN_PTR(float, x), BN_PTR(float, y), BN_PTR(float, gamma), BN_PTR(float, beta), n, c, s, eps,
                       relu, BN_PTR(float, run_mean), BN_PTR(float, run_stat), log_std, BN_PTR(double, mean),
                       BN_PTR(double, var));
    else
        bn_forward_f64(BN_PTR(double, x), BN_PTR(double, y), BN_PTR(double, gamma), BN_PTR(double, beta), n, c, s,
                       eps, relu, BN_PTR(double, run_mean), BN_PTR(double, run_stat), log_std, BN_PTR(double, mean),
                       BN_PTR(double, var));
}

/* dx, dγ and dβ (overwritten); the running statistics updated in place, their gradients drun_mean, drun_stat
   zero. relu != 0: the forward pass applied ReLU to its outputs (recomputed from x, the batch statistics, gamma
   and beta by the forward pass's own function, norm_out.h, for the mask; beta is read only then). Returns 0, or
   -1 when the scratch for that ((N + 1)·S values per thread) could not be allocated (nothing written then). */
JNIEXPORT jint JNICALL Java_io_gnsweep_layer_NativeKernels_bnBackward0(JNIEnv *env, jclass cls, jint dtype,
        jlong x, jlong dy, jlong dx, jlong gamma, jlong beta, jint relu, jlong mean, jlong var, jlong dgamma,
        jlong dbeta, jlong n, jlong c, jlong s, jdouble eps, jlong run_mean, jlong run_stat, jlong drun_mean,
        jlong drun_stat, jdouble decay, jint log_std) {
    (void)env;
    (void)cls;
    void *ybuf = NULL;
    if (relu) {
        /* a channel's N·S masked gradients and a row's S outputs for each thread a parallel region can have */
        ybuf = malloc((dtype == 0 ? sizeof(float) : sizeof(double)) * (size_t)(n * s + s) *
                      (size_t)omp_get_max_threads());
        if (ybuf == NULL) return -1;
    }
    if (dtype == 0)
        bn_backward_f32(BN_PTR(float, x), BN_PTR(float, dy), BN_PTR(float, dx), BN_PTR(float, gamma),
                        BN_PTR(float, beta), relu, BN_PTR(double, mean), BN_PTR(double, var), BN_PTR(float, dgamma),
                        BN_PTR(float, dbeta), n, c, s, eps, BN_PTR(float, run_mean), BN_PTR(float, run_stat),
                        BN_PTR(float, drun_mean), BN_PTR(float, drun_stat), decay, log_std, (float *)ybuf);
    else
        bn_backward_f64(BN_PTR(double, x), BN_PTR(double, dy), BN_PTR(double, dx), BN_PTR(double, gamma),
                        BN_PTR(double, beta), relu, BN_PTR(double, mean), BN_PTR(double, var),
                        BN_PTR(double, dgamma), BN_PTR(double, dbeta), n, c, s, eps, BN_PTR(double, run_mean),
                        BN_PTR(double, run_stat), BN_PTR(double, drun_mean), BN_PTR(double, drun_stat), decay,
                        log_std, (double *)ybuf);
    free(ybuf);
    return 0;
}
