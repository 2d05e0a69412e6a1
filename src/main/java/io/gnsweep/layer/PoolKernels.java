package io.gnsweep.layer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Max pooling's fused CPU kernels ({@code src/main/c/pool_kernels.c}, in the library {@link NativeKernels} loads),
 * for {@link MaxPoolLayer}: NCHW, no padding, no dilation. Each pass reads its input once; DL4J's pooling through
 * its oneDNN helper builds and runs oneDNN primitives on every call, 9% of a batch-2 training step of vgg-cifar
 * at width 0.25 (docs/speed.md).
 */
final class PoolKernels {
    private PoolKernels() {}

    /** y[n, c] = the largest value of each kh x kw window of x[n, c] at strides sh, sw. */
    static void forward(INDArray x, INDArray y, int kh, int kw, int sh, int sw) {
        run(x, null, y, kh, kw, sh, sw);
    }

    /** dx = dy routed to each window's first largest value of x (rows top down, each left to right), summed. */
    static void backward(INDArray x, INDArray dy, INDArray dx, int kh, int kw, int sh, int sw) {
        run(x, dy, dx, kh, kw, sh, sw);
    }

    private static void run(INDArray x, INDArray dy, INDArray out, int kh, int kw, int sh, int sw) {
        DataType t = x.dataType();
        long n = x.size(0);
        long c = x.size(1);
        long h = x.size(2);
        long w = x.size(3);
        INDArray pooled = dy == null ? out : dy;
        long oh = pooled.size(2);
        long ow = pooled.size(3);
        if (oh != (h - kh) / sh + 1 || ow != (w - kw) / sw + 1 || pooled.size(0) != n || pooled.size(1) != c) {
            throw new IllegalArgumentException("max-pool kernel: output " + java.util.Arrays.toString(pooled.shape())
                    + " does not fit input " + java.util.Arrays.toString(x.shape()));
        }
        NativeKernels.check(x, n * c * h * w, t);
        NativeKernels.check(out, dy == null ? n * c * oh * ow : n * c * h * w, t);
        if (dy != null) {
            NativeKernels.check(dy, n * c * oh * ow, t);
        }
        try {
            maxPool0(t == DataType.FLOAT ? 0 : 1, NativeKernels.address(x), dy == null ? 0 : NativeKernels.address(dy),
                    NativeKernels.address(out), n * c, h, w, oh, ow, kh, kw, sh, sw);
        } finally {
            NativeKernels.keepAlive(x, dy, out);
        }
    }

    private static native void maxPool0(int dtype, long x, long dy, long out, long planes, long h, long w, long oh,
            long ow, long kh, long kw, long sh, long sw);
}
