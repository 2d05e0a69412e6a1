/*
 * Max pooling for the CPU (gnsweep's io.gnsweep.layer.PoolKernels, for io.gnsweep.layer.MaxPoolLayer; JNI):
 * NCHW, no padding, no dilation, any kernel and stride. Forward: each output is the largest value of its window.
 * Backward: each output's gradient goes to the first largest value of its window, scanning rows top to bottom
 * and each row left to right (a later equal value does not take it), summed where windows overlap; the rest of
 * dx is zero. That is the rule of DL4J's pooling on ND4J's CPU backend (its oneDNN helper and libnd4j's
 * maxpool2d_bp), which the tests compare bit for bit, ties included.
 *
 * Threads: OpenMP (libgomp, ND4J's runtime and thread setting) over the N·C planes of tensors of at least
 * PARALLEL_MIN values; a plane is one thread's, so results do not depend on the thread count.
 */
#include <jni.h>
#include <stdint.h>
#include <string.h>

#define PARALLEL_MIN 65536

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define POOL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define POOL_CLONES
#endif

/* The offset within the plane of the first largest value of output (oh, ow)'s window. */
#define ARGMAX(T, xp)                                                                                      \
    int64_t best = (oh * sh) * w + ow * sw;                                                                \
    T bv = (xp)[best];                                                                                     \
    for (int64_t i = 0; i < kh; i++) {                                                                     \
        const int64_t row = (oh * sh + i) * w + ow * sw;                                                   \
        for (int64_t j = 0; j < kw; j++) {                                                                 \
            const T v = (xp)[row + j];                                                                     \
            if (v > bv) {                                                                                  \
                bv = v;                                                                                    \
                best = row + j;                                                                            \
            }                                                                                              \
        }                                                                                                  \
    }

#define POOL_DEFINE(T, SUFFIX)                                                                             \
    POOL_CLONES static void fwd_plane_##SUFFIX(const T *xp, T *yp, int64_t w, int64_t oh_n, int64_t ow_n,  \
                                               int64_t kh, int64_t kw, int64_t sh, int64_t sw) {           \
        if (kh == 2 && kw == 2 && sh == 2 && sw == 2) {                                                    \
            for (int64_t oh = 0; oh < oh_n; oh++) {                                                        \
                const T *r0 = xp + 2 * oh * w, *r1 = r0 + w;                                               \
                T *yr = yp + oh * ow_n;                                                                    \
                for (int64_t ow = 0; ow < ow_n; ow++) {                                                    \
                    T m = r0[2 * ow]; /* the window's first largest value, as ARGMAX takes it */           \
                    m = r0[2 * ow + 1] > m ? r0[2 * ow + 1] : m;                                           \
                    m = r1[2 * ow] > m ? r1[2 * ow] : m;                                                   \
                    m = r1[2 * ow + 1] > m ? r1[2 * ow + 1] : m;                                           \
                    yr[ow] = m;                                                                            \
                }                                                                                          \
            }                                                                                              \
            return;                                                                                        \
        }                                                                                                  \
        for (int64_t oh = 0; oh < oh_n; oh++)                                                              \
            for (int64_t ow = 0; ow < ow_n; ow++) {                                                        \
                ARGMAX(T, xp)                                                                              \
                yp[oh * ow_n + ow] = bv;                                                                   \
            }                                                                                              \
    }                                                                                                      \
    POOL_CLONES static void bwd_plane_##SUFFIX(const T *xp, const T *dyp, T *dxp, int64_t h, int64_t w,    \
                                               int64_t oh_n, int64_t ow_n, int64_t kh, int64_t kw,         \
                                               int64_t sh, int64_t sw) {                                   \
        memset(dxp, 0, sizeof(T) * (size_t)(h * w));                                                       \
        for (int64_t oh = 0; oh < oh_n; oh++)                                                              \
            for (int64_t ow = 0; ow < ow_n; ow++) {                                                        \
                ARGMAX(T, xp)                                                                              \
                (void)bv;                                                                                  \
                dxp[best] += dyp[oh * ow_n + ow];                                                          \
            }                                                                                              \
    }

POOL_DEFINE(float, f32)
POOL_DEFINE(double, f64)

#define PTR(T, a) ((T *)(intptr_t)(a))

/*
 * dtype: 0 float32, 1 float64. planes = N·C; each plane h x w in, oh x ow out. dy == 0: forward, y into out;
 * else backward, dx into out.
 */
JNIEXPORT void JNICALL Java_io_gnsweep_layer_PoolKernels_maxPool0(JNIEnv *env, jclass cls, jint dtype, jlong x,
        jlong dy, jlong out, jlong planes, jlong h, jlong w, jlong oh, jlong ow, jlong kh, jlong kw, jlong sh,
        jlong sw) {
    (void)env;
    (void)cls;
    const int64_t in = h * w, on = oh * ow;
#pragma omp parallel for schedule(static) if (planes * in >= PARALLEL_MIN)
    for (int64_t p = 0; p < planes; p++) {
        if (dtype == 0) {
            if (dy == 0) fwd_plane_f32(PTR(float, x) + p * in, PTR(float, out) + p * on, w, oh, ow, kh, kw, sh, sw);
            else bwd_plane_f32(PTR(float, x) + p * in, PTR(float, dy) + p * on, PTR(float, out) + p * in, h, w, oh, ow,
                               kh, kw, sh, sw);
        } else {
            if (dy == 0)
                fwd_plane_f64(PTR(double, x) + p * in, PTR(double, out) + p * on, w, oh, ow, kh, kw, sh, sw);
            else bwd_plane_f64(PTR(double, x) + p * in, PTR(double, dy) + p * on, PTR(double, out) + p * in, h, w,
                               oh, ow, kh, kw, sh, sw);
        }
    }
}
