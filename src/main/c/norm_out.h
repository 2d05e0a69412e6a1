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

#endif
