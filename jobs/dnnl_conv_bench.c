/*
 * One convolution layer's training passes through oneDNN, timed alone: forward, backward data and backward
 * weights, each with the reorders from and to plain NCHW/OIHW arrays that gnsweep's Conv2D plans run, on one
 * thread. For choosing formats and algorithms per layer shape (docs/speed.md); not part of the build.
 *
 *   gcc -O2 -o /tmp/dnnl_conv_bench jobs/dnnl_conv_bench.c -ldnnl
 *   OMP_NUM_THREADS=1 /tmp/dnnl_conv_bench N C_IN C_OUT H STRIDE [direct|winograd] [any|nChw8c|nChw16c|nhwc|nchw]
 *
 * prints the milliseconds per pass (mean over ITERATIONS, default 100, after 10 untimed) and the implementation
 * oneDNN chose for each. Kernel 3x3 (1x1 with STRIDE 2: a projection shortcut), padding 1, square images.
 */
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static dnnl_engine_t engine;
static dnnl_stream_t stream;

#define CHECK(x)                                                                                                      \
    do {                                                                                                              \
        dnnl_status_t s_ = (x);                                                                                       \
        if (s_ != dnnl_success) {                                                                                     \
            fprintf(stderr, "%s: status %d\n", #x, (int)s_);                                                          \
            exit(1);                                                                                                  \
        }                                                                                                             \
    } while (0)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* A plain array and, where the primitive wants another format, its copy in that format and the reorder between. */
typedef struct {
    dnnl_memory_t plain, prim;
    dnnl_primitive_t reorder;
    int in;
} arg_t;

static void make_arg(arg_t *a, const dnnl_memory_desc_t *plain, const dnnl_memory_desc_t *want, int in, void *buf) {
    a->in = in;
    CHECK(dnnl_memory_create(&a->plain, plain, engine, buf));
    if (dnnl_memory_desc_equal(plain, want)) {
        a->prim = a->plain;
        a->reorder = NULL;
        return;
    }
    CHECK(dnnl_memory_create(&a->prim, want, engine, DNNL_MEMORY_ALLOCATE));
    dnnl_primitive_desc_t pd;
    if (in) CHECK(dnnl_reorder_primitive_desc_create(&pd, plain, engine, want, engine, NULL));
    else CHECK(dnnl_reorder_primitive_desc_create(&pd, want, engine, plain, engine, NULL));
    CHECK(dnnl_primitive_create(&a->reorder, pd));
    dnnl_primitive_desc_destroy(pd);
}

static void run_reorder(const arg_t *a) {
    if (!a->reorder) return;
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, a->in ? a->plain : a->prim}, {DNNL_ARG_TO, a->in ? a->prim : a->plain}};
    CHECK(dnnl_primitive_execute(a->reorder, stream, 2, args));
}

/* One pass: its two inputs reordered in, the primitive, its output reordered out. */
static void run_pass(dnnl_primitive_t prim, const arg_t *in1, int key1, const arg_t *in2, int key2, const arg_t *out,
                     int key_out) {
    run_reorder(in1);
    run_reorder(in2);
    dnnl_exec_arg_t args[] = {{key1, in1->prim}, {key2, in2->prim}, {key_out, out->prim}};
    CHECK(dnnl_primitive_execute(prim, stream, 3, args));
    run_reorder(out);
}

static void *random_floats(size_t n) {
    float *f = aligned_alloc(64, ((n * 4 + 63) / 64) * 64);
    for (size_t i = 0; i < n; i++) f[i] = (float)(rand() % 1000) / 1000.f - 0.5f;
    return f;
}

static const char *impl(dnnl_primitive_desc_t pd) {
    const char *s = "";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s);
    return s;
}

static const dnnl_memory_desc_t *md(dnnl_primitive_desc_t pd, dnnl_query_t q) {
    return dnnl_primitive_desc_query_md(pd, q, 0);
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s N C_IN C_OUT H STRIDE [direct|winograd] [any|nChw8c|nChw16c|nhwc|nchw]\n", argv[0]);
        return 2;
    }
    const int n = atoi(argv[1]), ci = atoi(argv[2]), co = atoi(argv[3]), h = atoi(argv[4]), stride = atoi(argv[5]);
    const int winograd = argc > 6 && strcmp(argv[6], "winograd") == 0;
    const char *fmt = argc > 7 ? argv[7] : "any";
    dnnl_format_tag_t tag = strcmp(fmt, "nChw8c") == 0    ? dnnl_nChw8c
                            : strcmp(fmt, "nChw16c") == 0 ? dnnl_nChw16c
                            : strcmp(fmt, "nhwc") == 0    ? dnnl_nhwc
                            : strcmp(fmt, "nchw") == 0    ? dnnl_nchw
                                                          : dnnl_format_tag_any;
    const int iterations = getenv("ITERATIONS") ? atoi(getenv("ITERATIONS")) : 100;
    const int k = stride == 1 ? 3 : 1, pad = k / 2, oh = (h + 2 * pad - k) / stride + 1;
    const dnnl_alg_kind_t alg = winograd ? dnnl_convolution_winograd : dnnl_convolution_direct;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    dnnl_dims_t src_dims = {n, ci, h, h}, dst_dims = {n, co, oh, oh}, wei_dims = {co, ci, k, k};
    dnnl_dims_t strides = {stride, stride}, padding = {pad, pad};
    dnnl_memory_desc_t src_plain, dst_plain, wei_plain, src, dst, wei;
    CHECK(dnnl_memory_desc_init_by_tag(&src_plain, 4, src_dims, dnnl_f32, dnnl_nchw));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_plain, 4, dst_dims, dnnl_f32, dnnl_nchw));
    CHECK(dnnl_memory_desc_init_by_tag(&wei_plain, 4, wei_dims, dnnl_f32, dnnl_oihw));
    CHECK(dnnl_memory_desc_init_by_tag(&src, 4, src_dims, dnnl_f32, tag));
    CHECK(dnnl_memory_desc_init_by_tag(&dst, 4, dst_dims, dnnl_f32, tag));
    CHECK(dnnl_memory_desc_init_by_tag(&wei, 4, wei_dims, dnnl_f32, dnnl_format_tag_any));
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t fpd, dpd, wpd;
    CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, alg, &src, &wei, NULL, &dst, strides, padding,
                                             padding));
    CHECK(dnnl_primitive_desc_create(&fpd, &cd, NULL, engine, NULL));
    CHECK(dnnl_convolution_backward_data_desc_init(&cd, alg, &src, &wei, &dst, strides, padding, padding));
    CHECK(dnnl_primitive_desc_create(&dpd, &cd, NULL, engine, fpd));
    CHECK(dnnl_convolution_backward_weights_desc_init(&cd, alg, &src, &wei, NULL, &dst, strides, padding, padding));
    CHECK(dnnl_primitive_desc_create(&wpd, &cd, NULL, engine, fpd));
    dnnl_primitive_t fwd, bwd_data, bwd_weights;
    CHECK(dnnl_primitive_create(&fwd, fpd));
    CHECK(dnnl_primitive_create(&bwd_data, dpd));
    CHECK(dnnl_primitive_create(&bwd_weights, wpd));
    const size_t xs = (size_t)n * ci * h * h, ys = (size_t)n * co * oh * oh, ws = (size_t)co * ci * k * k;
    void *x = random_floats(xs), *y = random_floats(ys), *dy = random_floats(ys), *dx = random_floats(xs);
    void *w = random_floats(ws), *dw = random_floats(ws);
    arg_t f_src, f_wei, f_dst, d_ddst, d_wei, d_dsrc, w_src, w_ddst, w_dwei;
    make_arg(&f_src, &src_plain, md(fpd, dnnl_query_src_md), 1, x);
    make_arg(&f_wei, &wei_plain, md(fpd, dnnl_query_weights_md), 1, w);
    make_arg(&f_dst, &dst_plain, md(fpd, dnnl_query_dst_md), 0, y);
    make_arg(&d_ddst, &dst_plain, md(dpd, dnnl_query_diff_dst_md), 1, dy);
    make_arg(&d_wei, &wei_plain, md(dpd, dnnl_query_weights_md), 1, w);
    make_arg(&d_dsrc, &src_plain, md(dpd, dnnl_query_diff_src_md), 0, dx);
    make_arg(&w_src, &src_plain, md(wpd, dnnl_query_src_md), 1, x);
    make_arg(&w_ddst, &dst_plain, md(wpd, dnnl_query_diff_dst_md), 1, dy);
    make_arg(&w_dwei, &wei_plain, md(wpd, dnnl_query_diff_weights_md), 0, dw);
    double t[3] = {0, 0, 0};
    for (int i = 0; i < iterations + 10; i++) {
        double t0 = now();
        run_pass(fwd, &f_src, DNNL_ARG_SRC, &f_wei, DNNL_ARG_WEIGHTS, &f_dst, DNNL_ARG_DST);
        double t1 = now();
        run_pass(bwd_data, &d_ddst, DNNL_ARG_DIFF_DST, &d_wei, DNNL_ARG_WEIGHTS, &d_dsrc, DNNL_ARG_DIFF_SRC);
        double t2 = now();
        run_pass(bwd_weights, &w_src, DNNL_ARG_SRC, &w_ddst, DNNL_ARG_DIFF_DST, &w_dwei, DNNL_ARG_DIFF_WEIGHTS);
        double t3 = now();
        if (i >= 10) {
            t[0] += t1 - t0;
            t[1] += t2 - t1;
            t[2] += t3 - t2;
        }
    }
    printf("n%d ci%d co%d %dx%d s%d %s %s  fwd %.3f  bwd-data %.3f  bwd-weights %.3f  total %.3f ms  [%s | %s | %s]\n",
           n, ci, co, h, h, stride, winograd ? "winograd" : "direct", fmt, t[0] / iterations * 1e3,
           t[1] / iterations * 1e3, t[2] / iterations * 1e3, (t[0] + t[1] + t[2]) / iterations * 1e3, impl(fpd),
           impl(dpd), impl(wpd));
    return 0;
}
