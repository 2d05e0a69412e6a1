/*
 * 2-D convolution for the CPU through oneDNN (gnsweep's io.gnsweep.layer.ConvKernels, for
 * io.gnsweep.layer.Conv2DLayer; JNI), built into its own library, libgnsweep_dnnl.so, linked against the system's
 * oneDNN 2.x (Debian's libdnnl2, the oneDNN PyTorch's CPU build uses): without it, only this library fails to
 * load and the layer runs DL4J's convolution.
 *
 * A plan is everything one layer needs for one input shape, made once and kept: the forward, backward-data and
 * backward-weights primitives in the memory formats oneDNN picks for the machine (blocked formats such as
 * nChw16c), the reorders between those and the plain NCHW/OIHW arrays DL4J holds, their buffers and a
 * scratchpad. DL4J's own convolution on ND4J's CPU backend creates its oneDNN primitives on every call; on the
 * small layers of the paper's regime (batch 2-8) that setup, not the arithmetic, is most of a step.
 *
 * float32 only. Threads: the OpenMP threads of the calling thread (ND4J's runtime and setting; one in a Spark task
 * with spark.task.cpus = 1). A plan is used by one thread at a time (a layer's), with its own stream; the buffers
 * in oneDNN's formats and the scratchpad are the calling thread's (arena_t), so concurrent trials in one JVM share
 * nothing but the engine.
 */
#include <jni.h>
#include <pthread.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One argument of a primitive: the caller's plain array (user) and the memory the primitive reads or writes
 * (prim), the same object when oneDNN takes the plain format, else a buffer of its own with a reorder. */
typedef struct {
    dnnl_memory_t user, prim;
    dnnl_primitive_t reorder; /* user -> prim for inputs, prim -> user for outputs; NULL when prim == user */
    int slot;                 /* the thread's buffer prim lives in during a call (see arena_t), or -1: its own */
    size_t bytes;             /* prim's size */
} arg_t;

/* The buffers of the activation-sized arguments in oneDNN's formats, and the scratchpad, shared by all plans a
 * thread runs: they are only needed during one call (inputs are reordered in at its start, outputs out at its
 * end), and one buffer reused by every layer stays in the core's cache where a buffer per layer and argument
 * (~6 per convolution, each the size of an activation) is evicted by the rest of the step and read back from
 * memory: on a batch-32 ResNet-20 that made every reorder ~2.5x slower than the same reorder in PyTorch.
 * The same holds for the weights and their gradient in oneDNN's formats (reordered from and to DL4J's arrays on
 * every call, since the updater changes the weights between calls): a copy per layer and pass is three more
 * parameter-sized arrays read back from memory each step, one slot is a buffer the core's cache keeps; at batch
 * 2 the weights' reorders were the largest part of vgg-cifar's convolution time.
 * Slots: 0 and 1 for the inputs, 2 for the output, 3 the scratchpad, 4 the weights or their gradient. Grown on
 * demand, freed with the thread or by ConvKernels.releaseThreadBuffers. */
#define SLOTS 5
#define SLOT_SCRATCH 3
#define SLOT_WEIGHTS 4
typedef struct {
    void *buf[SLOTS];
    size_t cap[SLOTS];
} arena_t;

static pthread_key_t arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

static void arena_destroy(void *v) {
    arena_t *a = v;
    for (int i = 0; i < SLOTS; i++) free(a->buf[i]);
    free(a);
}

static void arena_init(void) {
    pthread_key_create(&arena_key, arena_destroy);
}

/* The calling thread's buffer of the slot, at least bytes long (page-aligned), or NULL without memory. */
static void *arena_get(int slot, size_t bytes) {
    pthread_once(&arena_once, arena_init);
    arena_t *a = pthread_getspecific(arena_key);
    if (!a) {
        if (!(a = calloc(1, sizeof *a)) || pthread_setspecific(arena_key, a)) {
            free(a);
            return NULL;
        }
    }
    if (a->cap[slot] < bytes) {
        free(a->buf[slot]);
        size_t cap = (bytes + 4095) & ~(size_t)4095;
        a->buf[slot] = aligned_alloc(4096, cap);
        a->cap[slot] = a->buf[slot] ? cap : 0;
    }
    return a->buf[slot];
}

static void arena_release(void) {
    pthread_once(&arena_once, arena_init);
    arena_t *a = pthread_getspecific(arena_key);
    if (a) {
        pthread_setspecific(arena_key, NULL);
        arena_destroy(a);
    }
}

typedef struct {
    dnnl_stream_t stream;
    dnnl_primitive_t fwd, bwd_data, bwd_weights; /* the backward ones made on their first use (see backward) */
    dnnl_primitive_desc_t fpd;                   /* the forward pass's, the hint the backward ones are made with */
    dnnl_primitive_attr_t attr;
    dnnl_memory_desc_t src_plain, dst_plain, wei_plain, bias_md;
    dnnl_dims_t src_dims, dst_dims, wei_dims, strides, pad_l, pad_r;
    int64_t ci, co;
    dnnl_memory_t scratch; /* shared by the three primitives (one runs at a time), in the thread's slot */
    size_t scratch_bytes;
    arg_t f_src, f_wei, f_bias, f_dst;
    arg_t d_ddst, d_wei, d_dsrc;
    arg_t w_src, w_ddst, w_dwei, w_dbias;
    dnnl_memory_desc_t d_ddst_md, w_ddst_md; /* the backward passes' formats of dy */
    int has_bias;
    int narrow;    /* use eight-channel blocks where oneDNN's choice pads the channels (see choose_pd) */
    int winograd;  /* Winograd's algorithm where it applies and pays (see winograd_pays) */
    int same_ddst; /* backward weights takes dy in backward data's format: one reorder serves both */
    int batch_gemm;   /* the passes may run as GEMMs over the batch where they pay (see batch_gemm_fits) */
    int gemm_weights; /* backward weights runs as one GEMM over the batch, not a primitive */
    int gemm_all;     /* the forward and backward-data passes too */
    char error[256];
} plan_t;

static dnnl_engine_t engine;

static int fail(plan_t *p, const char *what, dnnl_status_t s) {
    snprintf(p->error, sizeof p->error, "oneDNN %s failed (status %d)", what, (int)s);
    return -1;
}

#define CHECK(p, call)                                                                                     \
    do {                                                                                                   \
        dnnl_status_t s_ = (call);                                                                         \
        if (s_ != dnnl_success) return fail((p), #call, s_);                                               \
    } while (0)

/* Sets up an argument: user memory of the plain descriptor, and the primitive's own when its descriptor
 * differs. input: whether the primitive reads it (the reorder goes user -> prim) or writes it. */
static int make_arg(plan_t *p, arg_t *a, const dnnl_memory_desc_t *plain, const dnnl_memory_desc_t *want, int input,
                    int slot) {
    a->slot = -1;
    CHECK(p, dnnl_memory_create(&a->user, plain, engine, DNNL_MEMORY_NONE));
    if (dnnl_memory_desc_equal(plain, want)) {
        a->prim = a->user;
        a->reorder = NULL;
        return 0;
    }
    a->slot = slot;
    a->bytes = dnnl_memory_desc_get_size(want);
    CHECK(p, dnnl_memory_create(&a->prim, want, engine, slot < 0 ? DNNL_MEMORY_ALLOCATE : DNNL_MEMORY_NONE));
    dnnl_primitive_desc_t rpd;
    if (input) {
        CHECK(p, dnnl_reorder_primitive_desc_create(&rpd, plain, engine, want, engine, NULL));
    } else {
        CHECK(p, dnnl_reorder_primitive_desc_create(&rpd, want, engine, plain, engine, NULL));
    }
    dnnl_status_t s = dnnl_primitive_create(&a->reorder, rpd);
    dnnl_primitive_desc_destroy(rpd);
    return s == dnnl_success ? 0 : fail(p, "reorder", s);
}

static void free_arg(arg_t *a) {
    if (a->reorder) dnnl_primitive_destroy(a->reorder);
    if (a->prim && a->prim != a->user) dnnl_memory_destroy(a->prim);
    if (a->user) dnnl_memory_destroy(a->user);
}

static void free_plan(plan_t *p) {
    arg_t *args[] = {&p->f_src, &p->f_wei, &p->f_bias, &p->f_dst, &p->d_ddst, &p->d_wei,
                     &p->d_dsrc, &p->w_src, &p->w_ddst, &p->w_dwei, &p->w_dbias};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) free_arg(args[i]);
    if (p->fwd) dnnl_primitive_destroy(p->fwd);
    if (p->bwd_data) dnnl_primitive_destroy(p->bwd_data);
    if (p->bwd_weights) dnnl_primitive_destroy(p->bwd_weights);
    if (p->fpd) dnnl_primitive_desc_destroy(p->fpd);
    if (p->attr) dnnl_primitive_attr_destroy(p->attr);
    if (p->scratch) dnnl_memory_destroy(p->scratch);
    if (p->stream) dnnl_stream_destroy(p->stream);
    free(p);
}

static const dnnl_memory_desc_t *md_of(dnnl_primitive_desc_t pd, dnnl_query_t what) {
    return dnnl_primitive_desc_query_md(pd, what, 0);
}

static size_t scratch_size(dnnl_primitive_desc_t pd) {
    const dnnl_memory_desc_t *m = md_of(pd, dnnl_query_scratchpad_md);
    return m ? dnnl_memory_desc_get_size(m) : 0;
}

/* Grows the plan's scratchpad descriptor to what the primitive of pd needs (the memory is the thread's slot). */
static int fit_scratch(plan_t *p, dnnl_primitive_desc_t pd) {
    size_t need = scratch_size(pd);
    if (need == 0) need = 1;
    if (p->scratch && need <= p->scratch_bytes) return 0;
    if (p->scratch) dnnl_memory_destroy(p->scratch);
    p->scratch = NULL;
    dnnl_memory_desc_t md;
    dnnl_dims_t dims = {(int64_t)need};
    CHECK(p, dnnl_memory_desc_init_by_tag(&md, 1, dims, dnnl_u8, dnnl_x));
    CHECK(p, dnnl_memory_create(&p->scratch, &md, engine, DNNL_MEMORY_NONE));
    p->scratch_bytes = need;
    return 0;
}

typedef enum { PASS_FORWARD, PASS_BACKWARD_DATA, PASS_BACKWARD_WEIGHTS } pass_t;

/* The primitive descriptor of one pass, activations in the given formats (weights: oneDNN's choice). */
static dnnl_status_t make_pd(plan_t *p, pass_t pass, dnnl_alg_kind_t alg, dnnl_format_tag_t src_tag,
                             dnnl_format_tag_t dst_tag, dnnl_primitive_desc_t *pd) {
    dnnl_memory_desc_t src, dst, wei;
    dnnl_status_t s = dnnl_memory_desc_init_by_tag(&src, 4, p->src_dims, dnnl_f32, src_tag);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&dst, 4, p->dst_dims, dnnl_f32, dst_tag);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_tag(&wei, 4, p->wei_dims, dnnl_f32, dnnl_format_tag_any);
    if (s != dnnl_success) return s;
    const dnnl_memory_desc_t *bias = p->has_bias ? &p->bias_md : NULL;
    dnnl_convolution_desc_t cd;
    switch (pass) {
    case PASS_FORWARD:
        s = dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, alg, &src, &wei, bias,
                                               &dst, p->strides, p->pad_l, p->pad_r);
        break;
    case PASS_BACKWARD_DATA:
        s = dnnl_convolution_backward_data_desc_init(&cd, alg, &src, &wei, &dst, p->strides,
                                                     p->pad_l, p->pad_r);
        break;
    default:
        s = dnnl_convolution_backward_weights_desc_init(&cd, alg, &src, &wei, bias, &dst,
                                                        p->strides, p->pad_l, p->pad_r);
    }
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &cd, p->attr, engine, pass == PASS_FORWARD ? NULL : p->fpd);
}

static int pads_channels(const dnnl_memory_desc_t *md) {
    return md && md->padded_dims[1] > md->dims[1];
}

static const char *impl_name(dnnl_primitive_desc_t pd) {
    const char *impl = "";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    return impl ? impl : "";
}

static int reference_impl(dnnl_primitive_desc_t pd) {
    return strncmp(impl_name(pd), "ref", 3) == 0;
}

/*
 * Whether Winograd's algorithm (oneDNN's F(4x4, 3x3): 2.25x fewer multiplications, other rounding) is asked for
 * this layer: 3x3 kernels at stride 1, at least 32 channels in and out, outputs of at least 4x4, and
 * n x oh x ow x min(ci, co) at least 65,536. Below that oneDNN's direct
 * kernels were the faster ones on an AVX-512 core (one thread, forward and both backward passes with their
 * reorders): e.g. 16 channels at 32x32 and batch 32, 64 channels at 8x8 and batch 8, 128 channels at 2x2; above
 * it Winograd took 0.5-0.75x the time (64 channels at 8x8 and batch 32: 2.2 against 4.7 ms).
 */
static int winograd_pays(const plan_t *p) {
    const int64_t n = p->src_dims[0], oh = p->dst_dims[2], ow = p->dst_dims[3];
    const int64_t c = p->ci < p->co ? p->ci : p->co;
    return p->wei_dims[2] == 3 && p->wei_dims[3] == 3 && p->strides[0] == 1 && p->strides[1] == 1 && p->ci >= 32
           && p->co >= 32 && oh >= 4 && ow >= 4 && n * oh * ow * c >= 65536;
}

/*
 * The primitive descriptor of one pass: Winograd's algorithm where the plan asks for it and it pays (winograd_pays
 * looks at the sizes alone, so the three passes ask alike; one that oneDNN has no Winograd code for runs the
 * direct algorithm alone), else the direct one. oneDNN's own choice of formats ("any") blocks the channels by 16 on
 * AVX-512 machines, and a layer of 8 channels (a ResNet of width 0.5's first stage) then computes and moves twice
 * its channels on each side: where its choice pads a tensor of a multiple of 8 channels, that tensor goes to
 * 8-channel blocks (nChw8c) instead, unless oneDNN has only its reference code for that. Measured on the 32x32
 * layers of 8 channels at batch 32 (forward, backward data and weights with their reorders): 2.9 ms against 4.1 ms.
 * Backward weights keeps oneDNN's choice where the input has fewer than 8 channels (a network's first layer):
 * there the padded output is the faster one.
 */
static dnnl_status_t choose_pd(plan_t *p, pass_t pass, dnnl_primitive_desc_t *pd) {
    if (p->winograd && winograd_pays(p)
        && make_pd(p, pass, dnnl_convolution_winograd, dnnl_format_tag_any, dnnl_format_tag_any, pd) == dnnl_success) {
        if (strstr(impl_name(*pd), "wino")) return dnnl_success;
        dnnl_primitive_desc_destroy(*pd); /* no Winograd code for this machine or shape: the direct algorithm */
    }
    dnnl_status_t s = make_pd(p, pass, dnnl_convolution_direct, dnnl_format_tag_any, dnnl_format_tag_any, pd);
    if (s != dnnl_success || !p->narrow) return s;
    const dnnl_memory_desc_t *src = md_of(*pd, pass == PASS_BACKWARD_DATA ? dnnl_query_diff_src_md : dnnl_query_src_md);
    const dnnl_memory_desc_t *dst = md_of(*pd, pass == PASS_FORWARD ? dnnl_query_dst_md : dnnl_query_diff_dst_md);
    int narrow_src = pads_channels(src) && p->ci % 8 == 0, narrow_dst = pads_channels(dst) && p->co % 8 == 0;
    if (pass == PASS_BACKWARD_WEIGHTS && p->ci % 8 != 0) narrow_src = narrow_dst = 0;
    if (!narrow_src && !narrow_dst) return s;
    dnnl_primitive_desc_t alt;
    if (make_pd(p, pass, dnnl_convolution_direct, narrow_src ? dnnl_nChw8c : dnnl_format_tag_any,
                narrow_dst ? dnnl_nChw8c : dnnl_format_tag_any, &alt) != dnnl_success)
        return s;
    if (reference_impl(alt)) {
        dnnl_primitive_desc_destroy(alt);
    } else {
        dnnl_primitive_desc_destroy(*pd);
        *pd = alt;
    }
    return dnnl_success;
}

/*
 * The passes as GEMMs over the whole batch on the plain arrays, with the input's patches as a matrix (im2col):
 * col (n·oh·ow x ci·kh·kw) and dY (co x n·oh·ow, dy's channels as rows) in the thread's slots 1 and 2 (each pass
 * fills them anew; backward data has flushed its output before backward weights runs). OIHW is already the
 * co x ci·kh·kw matrix W, so no pass reorders the weights or their gradient:
 *   forward        Y = W · colᵀ (+ b)
 *   backward data  dcol = dYᵀ · W, added back into dx over the patches (col2im)
 *   backward wts   dW = dY · col, db = dY's row sums; written once, where oneDNN's GEMM-based code runs one GEMM
 *                  per image and adds each into dW, writing and reading the whole of dW again for every image.
 * Where they run: see batch_gemm_fits.
 */
typedef struct {
    int64_t n, ci, h, w, co, oh, ow, kh, kw, sh, sw, pt, pl, P, K, N;
} gemm_dims_t;

static gemm_dims_t gemm_dims(const plan_t *p) {
    gemm_dims_t g = {p->src_dims[0], p->ci, p->src_dims[2], p->src_dims[3], p->co, p->dst_dims[2], p->dst_dims[3],
                     p->wei_dims[2], p->wei_dims[3], p->strides[0], p->strides[1], p->pad_l[0], p->pad_l[1], 0, 0, 0};
    g.P = g.oh * g.ow;
    g.K = g.n * g.P;
    g.N = g.ci * g.kh * g.kw;
    return g;
}

/* The GEMMs' two matrices in the thread's slots, or -1 without memory. */
static int gemm_buffers(plan_t *p, const gemm_dims_t *g, float **col, float **rows) {
    *col = arena_get(1, (size_t)g->K * g->N * sizeof(float));
    *rows = arena_get(2, (size_t)g->co * g->K * sizeof(float));
    if (*col && *rows) return 0;
    snprintf(p->error, sizeof p->error, "conv plan: out of memory (%lld bytes)", (long long)(g->K * (g->co + g->N) * 4));
    return -1;
}

/* col2im's inverse and im2col: for every output pixel (row of col) its patch, zero outside the image; add: the
 * patch's values added into x (backward data) instead of read from it. */
static void patches(const gemm_dims_t *g, float *x, float *col, int add) {
    for (int64_t i = 0; i < g->n; i++)
        for (int64_t y = 0; y < g->oh; y++)
            for (int64_t xo = 0; xo < g->ow; xo++) {
                float *row = col + ((i * g->oh + y) * g->ow + xo) * g->N;
                for (int64_t c = 0; c < g->ci; c++) {
                    float *plane = x + (i * g->ci + c) * g->h * g->w;
                    for (int64_t u = 0; u < g->kh; u++) {
                        const int64_t iy = y * g->sh - g->pt + u;
                        const int inside_y = iy >= 0 && iy < g->h;
                        for (int64_t v = 0; v < g->kw; v++, row++) {
                            const int64_t ix = xo * g->sw - g->pl + v;
                            const int inside = inside_y && ix >= 0 && ix < g->w;
                            if (add) {
                                if (inside) plane[iy * g->w + ix] += *row;
                            } else {
                                *row = inside ? plane[iy * g->w + ix] : 0.f;
                            }
                        }
                    }
                }
            }
}

/* dY's layout change: NCHW's (n, co, pixel) to the co x n·pixels matrix, and back (to_nchw). */
static void channel_rows(const gemm_dims_t *g, float *nchw, float *rows, int to_nchw) {
    for (int64_t o = 0; o < g->co; o++)
        for (int64_t i = 0; i < g->n; i++) {
            float *r = rows + o * g->K + i * g->P, *a = nchw + (i * g->co + o) * g->P;
            memcpy(to_nchw ? a : r, to_nchw ? r : a, (size_t)g->P * sizeof(float));
        }
}

static int batch_gemm_forward(plan_t *p, float *x, const float *w, const float *b, float *y) {
    const gemm_dims_t g = gemm_dims(p);
    float *col, *rows;
    if (gemm_buffers(p, &g, &col, &rows)) return -1;
    patches(&g, x, col, 0);
    CHECK(p, dnnl_sgemm('N', 'T', g.co, g.K, g.N, 1.f, w, g.N, col, g.N, 0.f, rows, g.K));
    if (b)
        for (int64_t o = 0; o < g.co; o++)
            for (int64_t k = 0; k < g.K; k++) rows[o * g.K + k] += b[o];
    channel_rows(&g, y, rows, 1);
    return 0;
}

static int batch_gemm_backward_data(plan_t *p, const float *w, float *dy, float *dx) {
    const gemm_dims_t g = gemm_dims(p);
    float *col, *rows;
    if (gemm_buffers(p, &g, &col, &rows)) return -1;
    channel_rows(&g, dy, rows, 0);
    CHECK(p, dnnl_sgemm('T', 'N', g.K, g.N, g.co, 1.f, rows, g.K, w, g.N, 0.f, col, g.N));
    memset(dx, 0, (size_t)g.n * g.ci * g.h * g.w * sizeof(float));
    patches(&g, dx, col, 1);
    return 0;
}

static int batch_gemm_backward_weights(plan_t *p, float *x, float *dy, float *dw, float *db) {
    const gemm_dims_t g = gemm_dims(p);
    float *col, *rows;
    if (gemm_buffers(p, &g, &col, &rows)) return -1;
    channel_rows(&g, dy, rows, 0);
    patches(&g, x, col, 0);
    CHECK(p, dnnl_sgemm('N', 'N', g.co, g.N, g.K, 1.f, rows, g.K, col, g.N, 0.f, dw, g.N));
    if (db)
        for (int64_t o = 0; o < g.co; o++) {
            float s = 0;
            for (int64_t k = 0; k < g.K; k++) s += rows[o * g.K + k];
            db[o] = s;
        }
    return 0;
}

#define F32(a) ((float *)(intptr_t)(a))

/*
 * Where a plan's passes run as GEMMs over the batch (batch_gemm_forward and the two after it; flags 4, and 8 for
 * every layer, for tests): backward weights where oneDNN's own choice for it (pd) is its GEMM-based code (its
 * direct kernels take no such shape: 128 channels at 2x2 on an AVX2 machine) and col stays within 4 MB; the
 * forward and backward-data passes too where, in addition, the batch has at most 8 output pixels (vgg-cifar's last
 * block at batch 2), where reordering the weights into oneDNN's formats and back costs more than their arithmetic.
 * A C loop over that layer (one thread, AVX2, caches flushed before every call): forward 205 -> 127 us, backward
 * data 199 -> 161, backward weights 294 -> 167 us a call against oneDNN's primitives with their reorders.
 */
static int batch_gemm_fits(const plan_t *p, dnnl_primitive_desc_t pd) {
    const gemm_dims_t g = gemm_dims(p);
    return p->batch_gemm && (size_t)g.K * g.N * sizeof(float) <= ((size_t)4 << 20) && strstr(impl_name(pd), "gemm");
}

/* Decides at build what must be known before the forward pass: whether all three passes run as GEMMs. */
static int batch_gemm_choice(plan_t *p, int flags) {
    p->batch_gemm = (flags & 4) != 0;
    if (flags & 8) {
        p->gemm_weights = p->gemm_all = 1;
        return 0;
    }
    if (!p->batch_gemm || gemm_dims(p).K > 8) return 0;
    dnnl_primitive_desc_t pd;
    dnnl_status_t s = choose_pd(p, PASS_BACKWARD_WEIGHTS, &pd);
    if (s != dnnl_success) return fail(p, "convolution backward-weights setup", s);
    p->gemm_weights = p->gemm_all = batch_gemm_fits(p, pd);
    dnnl_primitive_desc_destroy(pd);
    return 0;
}

/* dims: n, ci, h, w, co, kh, kw, sh, sw, pad top, pad left, pad bottom, pad right. Makes the forward pass; the
 * backward passes are made on their first use (a plan for evaluation's batches never needs them, a network's first
 * layer never needs backward data). */
static int build(plan_t *p, const int64_t *d, int has_bias, int flags) {
    const int64_t oh = (d[2] + d[9] + d[11] - d[5]) / d[7] + 1, ow = (d[3] + d[10] + d[12] - d[6]) / d[8] + 1;
    int64_t src_dims[] = {d[0], d[1], d[2], d[3]}, dst_dims[] = {d[0], d[4], oh, ow}, wei_dims[] = {d[4], d[1], d[5], d[6]};
    memcpy(p->src_dims, src_dims, sizeof src_dims);
    memcpy(p->dst_dims, dst_dims, sizeof dst_dims);
    memcpy(p->wei_dims, wei_dims, sizeof wei_dims);
    p->strides[0] = d[7], p->strides[1] = d[8];
    p->pad_l[0] = d[9], p->pad_l[1] = d[10];
    p->pad_r[0] = d[11], p->pad_r[1] = d[12];
    p->ci = d[1], p->co = d[4];
    p->has_bias = has_bias;
    p->narrow = flags & 1;
    p->winograd = (flags & 2) != 0;
    dnnl_dims_t bias_dims = {d[4]};
    CHECK(p, dnnl_memory_desc_init_by_tag(&p->src_plain, 4, p->src_dims, dnnl_f32, dnnl_nchw));
    CHECK(p, dnnl_memory_desc_init_by_tag(&p->dst_plain, 4, p->dst_dims, dnnl_f32, dnnl_nchw));
    CHECK(p, dnnl_memory_desc_init_by_tag(&p->wei_plain, 4, p->wei_dims, dnnl_f32, dnnl_oihw));
    CHECK(p, dnnl_memory_desc_init_by_tag(&p->bias_md, 1, bias_dims, dnnl_f32, dnnl_x));
    CHECK(p, dnnl_primitive_attr_create(&p->attr));
    CHECK(p, dnnl_primitive_attr_set_scratchpad_mode(p->attr, dnnl_scratchpad_mode_user));
    dnnl_status_t s = choose_pd(p, PASS_FORWARD, &p->fpd);
    if (s != dnnl_success) {
        p->fpd = NULL;
        return fail(p, "convolution setup", s);
    }
    if (batch_gemm_choice(p, flags)) return -1;
    if (p->gemm_all) return 0; /* no primitive runs, no scratchpad */
    CHECK(p, dnnl_primitive_create(&p->fwd, p->fpd));
    /* The bias keeps a buffer of its own (small); the rest use the thread's slots: the forward pass x -> 0,
     * w -> 4, y -> 2; backward data dy -> 0, w -> 4, dx -> 2; backward weights x -> 1, dy -> 0 (the same reorder
     * of dy as backward data's when the formats agree: done once, see backward), dw -> 4. */
    if (make_arg(p, &p->f_src, &p->src_plain, md_of(p->fpd, dnnl_query_src_md), 1, 0)
        || make_arg(p, &p->f_wei, &p->wei_plain, md_of(p->fpd, dnnl_query_weights_md), 1, SLOT_WEIGHTS)
        || make_arg(p, &p->f_dst, &p->dst_plain, md_of(p->fpd, dnnl_query_dst_md), 0, 2))
        return -1;
    if (has_bias && make_arg(p, &p->f_bias, &p->bias_md, dnnl_primitive_desc_query_md(p->fpd, dnnl_query_weights_md, 1),
                             1, -1))
        return -1;
    return fit_scratch(p, p->fpd);
}

static void check_same_ddst(plan_t *p) {
    p->same_ddst = p->bwd_data && p->bwd_weights && p->d_ddst.reorder && p->w_ddst.reorder
                   && dnnl_memory_desc_equal(&p->d_ddst_md, &p->w_ddst_md);
}

/* Makes the backward-data pass on its first use. */
static int need_backward_data(plan_t *p) {
    if (p->bwd_data || p->gemm_all) return 0;
    dnnl_primitive_desc_t pd;
    dnnl_status_t s = choose_pd(p, PASS_BACKWARD_DATA, &pd);
    if (s != dnnl_success) return fail(p, "convolution backward-data setup", s);
    int rc = -1;
    if (dnnl_primitive_create(&p->bwd_data, pd) != dnnl_success) {
        p->bwd_data = NULL;
        fail(p, "backward-data primitive creation", dnnl_runtime_error);
    } else if (!make_arg(p, &p->d_ddst, &p->dst_plain, md_of(pd, dnnl_query_diff_dst_md), 1, 0)
               && !make_arg(p, &p->d_wei, &p->wei_plain, md_of(pd, dnnl_query_weights_md), 1, SLOT_WEIGHTS)
               && !make_arg(p, &p->d_dsrc, &p->src_plain, md_of(pd, dnnl_query_diff_src_md), 0, 2)
               && !fit_scratch(p, pd)) {
        p->d_ddst_md = *md_of(pd, dnnl_query_diff_dst_md);
        rc = 0;
    }
    dnnl_primitive_desc_destroy(pd);
    return rc;
}

/* Makes the backward-weights pass on its first use: oneDNN's primitive, or none where it runs as one GEMM over the
 * batch (batch_gemm_fits). */
static int need_backward_weights(plan_t *p) {
    if (p->bwd_weights || p->gemm_weights) return 0;
    dnnl_primitive_desc_t pd;
    dnnl_status_t s = choose_pd(p, PASS_BACKWARD_WEIGHTS, &pd);
    if (s != dnnl_success) return fail(p, "convolution backward-weights setup", s);
    if (batch_gemm_fits(p, pd)) {
        dnnl_primitive_desc_destroy(pd);
        p->gemm_weights = 1;
        return 0;
    }
    int rc = -1;
    if (dnnl_primitive_create(&p->bwd_weights, pd) != dnnl_success) {
        p->bwd_weights = NULL;
        fail(p, "backward-weights primitive creation", dnnl_runtime_error);
    } else if (!make_arg(p, &p->w_src, &p->src_plain, md_of(pd, dnnl_query_src_md), 1, 1)
               && !make_arg(p, &p->w_ddst, &p->dst_plain, md_of(pd, dnnl_query_diff_dst_md), 1, 0)
               && !make_arg(p, &p->w_dwei, &p->wei_plain, md_of(pd, dnnl_query_diff_weights_md), 0, SLOT_WEIGHTS)
               && !(p->has_bias && make_arg(p, &p->w_dbias, &p->bias_md,
                                            dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 1), 0, -1))
               && !fit_scratch(p, pd)) {
        p->w_ddst_md = *md_of(pd, dnnl_query_diff_dst_md);
        rc = 0;
    }
    dnnl_primitive_desc_destroy(pd);
    return rc;
}

/* Points the argument's user memory at the caller's array and, for an input, brings it into the primitive's
 * format. */
static int reorder(plan_t *p, arg_t *a, dnnl_memory_t from, dnnl_memory_t to) {
    if (a->reorder) {
        dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
        CHECK(p, dnnl_primitive_execute(a->reorder, p->stream, 2, args));
    }
    return 0;
}

/* Points a primitive-format buffer at its slot of the thread's arena. oneDNN zero-fills a padded format's
 * padding when a handle is set and its primitives keep it zero, so what other plans left in the slot never
 * reaches the arithmetic. */
static int bind_slot(plan_t *p, dnnl_memory_t m, int slot, size_t bytes) {
    void *buf = arena_get(slot, bytes);
    if (!buf) {
        snprintf(p->error, sizeof p->error, "conv plan: out of memory (%zu bytes)", bytes);
        return -1;
    }
    CHECK(p, dnnl_memory_set_data_handle(m, buf));
    return 0;
}

static int bind_prim(plan_t *p, arg_t *a) {
    return a->reorder && a->slot >= 0 ? bind_slot(p, a->prim, a->slot, a->bytes) : 0;
}

static int bind_in(plan_t *p, arg_t *a, jlong address) {
    CHECK(p, dnnl_memory_set_data_handle(a->user, (void *)(intptr_t)address));
    if (bind_prim(p, a)) return -1;
    return reorder(p, a, a->user, a->prim);
}

static int bind_out(plan_t *p, arg_t *a, jlong address) {
    CHECK(p, dnnl_memory_set_data_handle(a->user, (void *)(intptr_t)address));
    return bind_prim(p, a);
}

/* After the primitive ran: brings an output from the primitive's format into the caller's array. */
static int flush_out(plan_t *p, arg_t *a) {
    return reorder(p, a, a->prim, a->user);
}

static int forward(plan_t *p, jlong x, jlong w, jlong b, jlong y) {
    if (p->gemm_all) return batch_gemm_forward(p, F32(x), F32(w), p->has_bias ? F32(b) : NULL, F32(y));
    if (bind_slot(p, p->scratch, SLOT_SCRATCH, p->scratch_bytes)) return -1;
    if (bind_in(p, &p->f_src, x) || bind_in(p, &p->f_wei, w) || bind_out(p, &p->f_dst, y)) return -1;
    if (p->has_bias && bind_in(p, &p->f_bias, b)) return -1;
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, p->f_src.prim},     {DNNL_ARG_WEIGHTS, p->f_wei.prim},
                              {DNNL_ARG_DST, p->f_dst.prim},     {DNNL_ARG_SCRATCHPAD, p->scratch},
                              {DNNL_ARG_BIAS, p->f_bias.prim}};
    CHECK(p, dnnl_primitive_execute(p->fwd, p->stream, p->has_bias ? 5 : 4, args));
    if (flush_out(p, &p->f_dst)) return -1;
    CHECK(p, dnnl_stream_wait(p->stream));
    return 0;
}

/* dx, dw and db from x, w and dy; dx 0: backward weights only (dx is not wanted, see Conv2DLayer). */
static int backward(plan_t *p, jlong x, jlong w, jlong dy, jlong dx, jlong dw, jlong db) {
    if (p->gemm_all) {
        if (dx && batch_gemm_backward_data(p, F32(w), F32(dy), F32(dx))) return -1;
        return batch_gemm_backward_weights(p, F32(x), F32(dy), F32(dw), p->has_bias ? F32(db) : NULL);
    }
    if ((dx && need_backward_data(p)) || need_backward_weights(p)) return -1;
    check_same_ddst(p);
    if (bind_slot(p, p->scratch, SLOT_SCRATCH, p->scratch_bytes)) return -1;
    if (dx) {
        if (bind_in(p, &p->d_ddst, dy) || bind_in(p, &p->d_wei, w) || bind_out(p, &p->d_dsrc, dx)) return -1;
        dnnl_exec_arg_t dargs[] = {{DNNL_ARG_DIFF_DST, p->d_ddst.prim}, {DNNL_ARG_WEIGHTS, p->d_wei.prim},
                                   {DNNL_ARG_DIFF_SRC, p->d_dsrc.prim}, {DNNL_ARG_SCRATCHPAD, p->scratch}};
        CHECK(p, dnnl_primitive_execute(p->bwd_data, p->stream, 4, dargs));
        if (flush_out(p, &p->d_dsrc)) return -1;
    }
    if (p->gemm_weights) {
        CHECK(p, dnnl_stream_wait(p->stream));
        return batch_gemm_backward_weights(p, F32(x), F32(dy), F32(dw), p->has_bias ? F32(db) : NULL);
    }
    if (bind_in(p, &p->w_src, x) || bind_out(p, &p->w_dwei, dw)) return -1;
    if (dx && p->same_ddst) { /* dy is still in slot 0 in this format: backward data only read it */
        CHECK(p, dnnl_memory_set_data_handle(p->w_ddst.user, (void *)(intptr_t)dy));
        if (bind_prim(p, &p->w_ddst)) return -1;
    } else if (bind_in(p, &p->w_ddst, dy)) {
        return -1;
    }
    if (p->has_bias && bind_out(p, &p->w_dbias, db)) return -1;
    dnnl_exec_arg_t wargs[] = {{DNNL_ARG_SRC, p->w_src.prim},         {DNNL_ARG_DIFF_DST, p->w_ddst.prim},
                               {DNNL_ARG_DIFF_WEIGHTS, p->w_dwei.prim}, {DNNL_ARG_SCRATCHPAD, p->scratch},
                               {DNNL_ARG_DIFF_BIAS, p->w_dbias.prim}};
    CHECK(p, dnnl_primitive_execute(p->bwd_weights, p->stream, p->has_bias ? 5 : 4, wargs));
    if (flush_out(p, &p->w_dwei)) return -1;
    CHECK(p, dnnl_stream_wait(p->stream));
    return 0;
}

static void throw_error(JNIEnv *env, const char *message) {
    jclass c = (*env)->FindClass(env, "java/lang/IllegalStateException");
    if (c) (*env)->ThrowNew(env, c, message);
}

/* A new plan for these sizes (see build; flags: 1 eight-channel blocks, 2 Winograd, 4 GEMMs over the batch where
 * they pay, 8 those GEMMs for every pass of every layer: batch_gemm_fits), or 0 with an
 * IllegalStateException naming what oneDNN refused. */
JNIEXPORT jlong JNICALL Java_io_gnsweep_layer_ConvKernels_create0(JNIEnv *env, jclass cls, jlongArray dims,
                                                                  jint hasBias, jint flags) {
    (void)cls;
    if (!engine && dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) {
        throw_error(env, "oneDNN: no CPU engine");
        return 0;
    }
    int64_t d[13];
    if ((*env)->GetArrayLength(env, dims) != 13) {
        throw_error(env, "conv plan: 13 sizes expected");
        return 0;
    }
    (*env)->GetLongArrayRegion(env, dims, 0, 13, (jlong *)d);
    plan_t *p = calloc(1, sizeof *p);
    if (!p) {
        throw_error(env, "conv plan: out of memory");
        return 0;
    }
    if (dnnl_stream_create(&p->stream, engine, dnnl_stream_default_flags) != dnnl_success) {
        p->stream = NULL;
        fail(p, "stream", dnnl_runtime_error);
    } else if (build(p, d, hasBias, flags) == 0) {
        return (jlong)(intptr_t)p;
    }
    char message[256];
    memcpy(message, p->error, sizeof message);
    free_plan(p);
    throw_error(env, message);
    return 0;
}

/* Frees the calling thread's buffers (they come back on its next call). */
JNIEXPORT void JNICALL Java_io_gnsweep_layer_ConvKernels_releaseThreadBuffers0(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    arena_release();
}

JNIEXPORT void JNICALL Java_io_gnsweep_layer_ConvKernels_free0(JNIEnv *env, jclass cls, jlong plan) {
    (void)env;
    (void)cls;
    if (plan) free_plan((plan_t *)(intptr_t)plan);
}

JNIEXPORT void JNICALL Java_io_gnsweep_layer_ConvKernels_forward0(JNIEnv *env, jclass cls, jlong plan, jlong x,
                                                                  jlong w, jlong b, jlong y) {
    (void)cls;
    plan_t *p = (plan_t *)(intptr_t)plan;
    if (forward(p, x, w, b, y)) throw_error(env, p->error);
}

JNIEXPORT void JNICALL Java_io_gnsweep_layer_ConvKernels_backward0(JNIEnv *env, jclass cls, jlong plan, jlong x,
                                                                   jlong w, jlong dy, jlong dx, jlong dw, jlong db) {
    (void)cls;
    plan_t *p = (plan_t *)(intptr_t)plan;
    if (backward(p, x, w, dy, dx, dw, db)) throw_error(env, p->error);
}

/* The implementation oneDNN picked for a plan's forward pass (e.g. "jit:avx2"), for logs and benchmarks. */
JNIEXPORT jstring JNICALL Java_io_gnsweep_layer_ConvKernels_implementation0(JNIEnv *env, jclass cls, jlong plan) {
    (void)cls;
    plan_t *p = (plan_t *)(intptr_t)plan;
    const_dnnl_primitive_desc_t pd;
    const char *impl = "unknown";
    if (p->gemm_all) impl = "gnsweep:batch-gemm";
    else if (dnnl_primitive_get_primitive_desc(p->fwd, &pd) == dnnl_success)
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    return (*env)->NewStringUTF(env, impl);
}

/* What runs a plan's backward-weights pass: "gnsweep:batch-gemm", oneDNN's implementation, or "" before its first
 * use. */
JNIEXPORT jstring JNICALL Java_io_gnsweep_layer_ConvKernels_backwardWeightsImplementation0(JNIEnv *env, jclass cls,
                                                                                          jlong plan) {
    (void)cls;
    plan_t *p = (plan_t *)(intptr_t)plan;
    const_dnnl_primitive_desc_t pd;
    const char *impl = "";
    if (p->gemm_weights) impl = "gnsweep:batch-gemm";
    else if (p->bwd_weights && dnnl_primitive_get_primitive_desc(p->bwd_weights, &pd) == dnnl_success)
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    return (*env)->NewStringUTF(env, impl);
}
