/*
 * The output pass shared by the GroupNorm and BatchNorm kernels: y = (x − μ)·a + b in double, rounded to the
 * array's type once, then max(y, 0) when a ReLU is fused into the layer.
 *
 * A layer with a ReLU fused recomputes its outputs in the backward pass for the ReLU's mask (y > 0), and that
 * mask must be the forward pass's to the bit: one output on the other side of 0 changes the whole trial. So
 * both passes call this one function, compiled without the licences the rest of the kernels take
 * (-fassociative-math to vectorise the sums, contraction into fused multiply-adds): every value is the plain
 * IEEE subtract, multiply and add, whichever part of the loop (vector body, peeled or remainder iterations)
 * computes it, so the recomputed output equals the stored one.
 *
 * The backward passes then take g = dy where that output is positive, else 0, into a buffer by the ReLU layer's
 * own backward function (relu_bwd below, which the ReLU layer's kernel in groupnorm_kernels.c runs too), and run
 * their sums and their dx pass on g with the very functions the layer without a ReLU runs on dy: one compiled
 * loop for both (not inlined into two call sites that the compiler could vectorise and reassociate in two ways),
 * so the fused layer's gradients equal those of the norm followed by a ReLU layer to the bit.
 */
#ifndef GNSWEEP_NORM_OUT_H
#define GNSWEEP_NORM_OUT_H

#include <stdint.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NORM_OUT_ATTRS                                                                                    \
    __attribute__((noinline, optimize("no-associative-math", "fp-contract=off"),                         \
                   target_clones("avx512f", "avx2", "default")))
#elif defined(__GNUC__) && !defined(__clang__)
#define NORM_OUT_ATTRS __attribute__((noinline, optimize("no-associative-math", "fp-contract=off")))
#else
#define NORM_OUT_ATTRS
#endif

#define NORM_OUT_DEFINE(T, SUFFIX)                                                                        \
    NORM_OUT_ATTRS static void norm_out_##SUFFIX(const T *x, T *y, int64_t s, double mu, double a,       \
                                                 double b, int relu) {                                   \
        if (relu) {                                                                                       \
            for (int64_t i = 0; i < s; i++) {                                                             \
                const T v = (T)(((double)x[i] - mu) * a + b);                                             \
                y[i] = v < (T)0 ? (T)0 : v;                                                               \
            }                                                                                             \
        } else {                                                                                          \
            for (int64_t i = 0; i < s; i++) y[i] = (T)(((double)x[i] - mu) * a + b);                      \
        }                                                                                                 \
    }

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NORM_BWD_ATTRS __attribute__((noinline, target_clones("avx512f", "avx2", "default")))
#elif defined(__GNUC__) && !defined(__clang__)
#define NORM_BWD_ATTRS __attribute__((noinline))
#else
#define NORM_BWD_ATTRS
#endif

/* relu_bwd: ReLU's backward pass over n values, dx = dy where x > 0, else 0 (NaN: 0, as in libnd4j).
   norm_sums: *sdy += Σ g, *sdyx += Σ g·(x − μ) over s values.
   norm_dx: dx = p·g − (x − μ)·q − o, evaluated in double, rounded once. */
#define NORM_BWD_DEFINE(T, SUFFIX)                                                                        \
    NORM_BWD_ATTRS static void relu_bwd_##SUFFIX(const T *x, const T *dy, T *dx, int64_t n) {            \
        for (int64_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : (T)0;                                  \
    }                                                                                                     \
    NORM_BWD_ATTRS static void norm_sums_##SUFFIX(const T *x, const T *g, int64_t s, double mu,          \
                                                  double *sdy, double *sdyx) {                           \
        double a = *sdy, b = *sdyx;                                                                       \
        for (int64_t i = 0; i < s; i++) {                                                                 \
            const double d = (double)g[i];                                                                \
            a += d;                                                                                       \
            b += d * ((double)x[i] - mu);                                                                 \
        }                                                                                                 \
        *sdy = a;                                                                                         \
        *sdyx = b;                                                                                        \
    }                                                                                                     \
    NORM_BWD_ATTRS static void norm_dx_##SUFFIX(const T *x, const T *g, T *dx, int64_t s, double mu,     \
                                                double p, double q, double o) {                          \
        for (int64_t i = 0; i < s; i++) dx[i] = (T)(p * (double)g[i] - ((double)x[i] - mu) * q - o);      \
    }

#endif
