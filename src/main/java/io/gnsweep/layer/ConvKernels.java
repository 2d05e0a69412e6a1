package io.gnsweep.layer;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 2-D convolution through oneDNN with primitives made once per layer and input shape ({@code
 * src/main/c/dnnl/conv_kernels.c}, built into {@code libgnsweep_dnnl.so} where oneDNN's headers are installed and
 * linked against the system's oneDNN 2.x, Debian's {@code libdnnl2}), for {@link Conv2DLayer}. DL4J's own
 * convolution on ND4J's CPU backend makes its oneDNN primitives on every call, about two thirds of a batch-2
 * training step (docs/speed.md). Where the library or oneDNN is missing, the layer runs DL4J's convolution.
 */
final class ConvKernels {
    /** System property: {@code false} makes {@link Conv2DLayer} run DL4J's convolution even where this loads. */
    static final String PROPERTY = "gnsweep.layer.dnnlConv";
    /**
     * System property: {@code false} keeps oneDNN's own choice of memory formats everywhere, for A/B runs; by
     * default a layer whose channels oneDNN's choice would pad (8 channels in 16-channel blocks) takes 8-channel
     * blocks (conv_kernels.c, choose_pd).
     */
    static final String NARROW_BLOCKS_PROPERTY = "gnsweep.layer.dnnlNarrowBlocks";
    /**
     * System property: {@code false} runs the direct algorithm everywhere (PyTorch's on the CPU), for A/B runs and
     * for training whose every rounding should be the direct convolution's. By default the layers where Winograd's
     * algorithm (oneDNN's F(4x4, 3x3)) applies and was the faster one run it: 3x3 at stride 1, 32 channels or more,
     * enough work (conv_kernels.c, winograd_pays); the others, and machines without oneDNN's Winograd code (it
     * needs AVX-512), keep the direct algorithm. Its values stay within the bound Conv2DTest holds the direct one to
     * (float32 rounding against DL4J's convolution in double), with errors ~2-4x the direct algorithm's.
     */
    static final String WINOGRAD_PROPERTY = "gnsweep.layer.dnnlWinograd";
    /**
     * System property: {@code false} leaves every pass to oneDNN's primitives, for A/B runs. By default a layer
     * whose backward weights oneDNN would run with its GEMM code (one GEMM per image, each added into dW: its
     * choice where its direct kernels take no such shape, e.g. 128 channels at 2x2 on AVX2 machines) runs it as
     * one GEMM over the whole batch on the plain arrays, and its forward and backward-data passes too where the
     * batch has at most 8 output pixels, so that no reorder of the weights runs (conv_kernels.c,
     * batch_gemm_fits); {@code always} runs all three passes so on every layer (for tests of their arithmetic).
     */
    static final String BATCH_GEMM_PROPERTY = "gnsweep.layer.dnnlBatchGemm";
    static final String RESOURCE = "/io/gnsweep/layer/native/linux-x86_64/libgnsweep_dnnl.so";

    private static final Logger LOG = LoggerFactory.getLogger(ConvKernels.class);
    private static final String UNAVAILABLE = load();
    private static final AtomicLong LIVE = new AtomicLong();

    private ConvKernels() {}

    /** Null when the library loaded, else why it did not. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** Whether the layer should run these kernels on arrays of this type now: float32 on ND4J's CPU backend. */
    static boolean use(DataType type) {
        return UNAVAILABLE == null && type == DataType.FLOAT
                && NativeKernels.switchedOn(PROPERTY)
                && Nd4j.getEnvironment().isCPU();
    }

    /**
     * A plan for one input shape: {n, ci, h, w, co, kh, kw, sh, sw, pad top, pad left, pad bottom, pad right}.
     * Freed by {@link #free}; an IllegalStateException names what oneDNN refused.
     */
    static long create(long[] dims, boolean hasBias) {
        int flags = (NativeKernels.switchedOn(NARROW_BLOCKS_PROPERTY) ? 1 : 0)
                | (NativeKernels.switchedOn(WINOGRAD_PROPERTY) ? 2 : 0)
                | (NativeKernels.switchedOn(BATCH_GEMM_PROPERTY) ? 4 : 0)
                | ("always".equalsIgnoreCase(System.getProperty(BATCH_GEMM_PROPERTY, "").trim()) ? 8 : 0);
        long plan = create0(dims, hasBias ? 1 : 0, flags);
        LIVE.incrementAndGet();
        return plan;
    }

    static void free(long plan) {
        free0(plan);
        LIVE.decrementAndGet();
    }

    /**
     * Frees the calling thread's shared buffers in oneDNN's formats (the activation-sized arguments and scratchpad
     * all of its plans use during a call; made again on its next call, and freed when the thread ends).
     */
    static void releaseThreadBuffers() {
        if (unavailableReason() == null) {
            releaseThreadBuffers0();
        }
    }

    /** Plans made and not yet freed, in this JVM. */
    static long livePlans() {
        return LIVE.get();
    }

    /**
     * What runs the plan's forward pass: the implementation oneDNN chose, e.g. {@code jit:avx2}, or {@code
     * gnsweep:batch-gemm}.
     */
    static String implementation(long plan) {
        return implementation0(plan);
    }

    /**
     * What runs the plan's backward-weights pass: {@code gnsweep:batch-gemm} (one GEMM over the batch), the name
     * of oneDNN's implementation, or empty before the pass's first use.
     */
    static String backwardWeightsImplementation(long plan) {
        return backwardWeightsImplementation0(plan);
    }

    /** y = conv(x, w) + b for the plan's shape (b null without bias); all float32, dense in C order. */
    static void forward(long plan, long[] dims, INDArray x, INDArray w, INDArray b, INDArray y) {
        checkAll(dims, x, w, b, y, null);
        try {
            forward0(plan, NativeKernels.address(x), NativeKernels.address(w), b == null ? 0 : NativeKernels.address(b),
                    NativeKernels.address(y));
        } finally {
            NativeKernels.keepAlive(x, w, b, y);
        }
    }

    /**
     * dx, and overwrites dw and db (db null without bias), from x, w and dy; dx null: dw and db only (the backward
     * data pass is then neither made nor run).
     */
    static void backward(long plan, long[] dims, INDArray x, INDArray w, INDArray dy, INDArray dx, INDArray dw,
            INDArray db) {
        checkAll(dims, x, w, db, dy, dx);
        NativeKernels.check(dw, w.length(), DataType.FLOAT);
        try {
            backward0(plan, NativeKernels.address(x), NativeKernels.address(w), NativeKernels.address(dy),
                    dx == null ? 0 : NativeKernels.address(dx), NativeKernels.address(dw),
                    db == null ? 0 : NativeKernels.address(db));
        } finally {
            NativeKernels.keepAlive(x, w, dy, dx, dw, db);
        }
    }

    static long outSize(long in, long k, long s, long padBefore, long padAfter) {
        return (in + padBefore + padAfter - k) / s + 1;
    }

    private static void checkAll(long[] d, INDArray x, INDArray w, INDArray b, INDArray y, INDArray dx) {
        long oh = outSize(d[2], d[5], d[7], d[9], d[11]);
        long ow = outSize(d[3], d[6], d[8], d[10], d[12]);
        NativeKernels.check(x, d[0] * d[1] * d[2] * d[3], DataType.FLOAT);
        NativeKernels.check(w, d[4] * d[1] * d[5] * d[6], DataType.FLOAT);
        NativeKernels.check(y, d[0] * d[4] * oh * ow, DataType.FLOAT);
        if (b != null) {
            NativeKernels.check(b, d[4], DataType.FLOAT);
        }
        if (dx != null) {
            NativeKernels.check(dx, x.length(), DataType.FLOAT);
        }
    }

    private static String load() {
        String base = NativeKernels.unavailableReason(); // ND4J and the OpenMP runtime first, as the other kernels
        if (base != null) {
            return "the fused kernels did not load: " + base;
        }
        try {
            if (!NativeKernels.loadFromJar(RESOURCE)) {
                return reason(RESOURCE + " is not on the classpath (built without oneDNN's headers, libdnnl-dev?)");
            }
            return null;
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            return reason("loading " + RESOURCE + " failed (is oneDNN 2.x installed, Debian's libdnnl2?): " + e);
        }
    }

    private static String reason(String why) {
        LOG.info("oneDNN convolution unavailable ({}); convolutions run DL4J's own code", why);
        return why;
    }

    private static native long create0(long[] dims, int hasBias, int flags);

    private static native void free0(long plan);

    private static native void releaseThreadBuffers0();

    private static native String implementation0(long plan);

    private static native String backwardWeightsImplementation0(long plan);

    private static native void forward0(long plan, long x, long w, long b, long y);

    private static native void backward0(long plan, long x, long w, long dy, long dx, long dw, long db);
}
