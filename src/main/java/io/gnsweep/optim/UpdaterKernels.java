package io.gnsweep.optim;

import io.gnsweep.layer.NativeArrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The optimisers' fused updates on ND4J's CPU backend ({@code src/main/c/updater_kernels.c}, in the library the
 * layer's kernels ship in): one pass over gradient and state with ND4J's arithmetic, operation for operation, in
 * the arrays' type, so they give the bits ND4J's ops give. Each method returns false, having done nothing, where
 * the kernels do not apply (another backend, a data type but float and double, arrays that are not dense, or
 * {@code gnsweep.layer.nativeKernels=false}); the caller then runs its ND4J ops.
 */
final class UpdaterKernels {
    private UpdaterKernels() {}

    /**
     * Adam in libnd4j's form ({@code adam_updater}): m = b1·m + g·(1−b1), v = b2·v + g²·(1−b2), g = m·αt/(√v + ε),
     * αt = lr·√(1−b2^(t+1))/(1−b1^(t+1)) with t the iteration, rounded as libnd4j rounds it.
     */
    static boolean adam(INDArray g, INDArray m, INDArray v, double lr, double b1, double b2, double eps,
            int iteration) {
        DataType t = g.dataType();
        if (!applies(t, g, m, v)) {
            return false;
        }
        double alpha = adamAlpha(t, lr, b1, b2, eps, iteration);
        try {
            adam0(code(t), NativeArrays.address(g), NativeArrays.address(m), NativeArrays.address(v), g.length(),
                    b1, b2, alpha, eps);
        } finally {
            NativeArrays.keepAlive(g, m, v);
        }
        return true;
    }

    /**
     * {@link #adam} with the step around it, as DL4J takes it: g / divisor before (DL4J's division by the batch
     * size), then L2 as {@link #l2} over the segments whose coefficient is not 0, p = p − update after (its step
     * function); the bits of those passes. g is only read. Segments: {@code starts} k + 1 bounds from 0 to the
     * arrays' length, {@code l2} their k coefficients.
     */
    static boolean adamStep(INDArray g, INDArray m, INDArray v, INDArray p, double divisor, long[] starts,
            double[] l2, double lr, double b1, double b2, double eps, int iteration) {
        DataType t = g.dataType();
        if (!applies(t, g, m, v, p)) {
            return false;
        }
        checkSegments(starts, l2, g.length());
        double alpha = adamAlpha(t, lr, b1, b2, eps, iteration);
        try {
            adamStep0(code(t), NativeArrays.address(g), NativeArrays.address(m), NativeArrays.address(v),
                    NativeArrays.address(p), g.length(), b1, b2, alpha, eps, divisor, starts, l2);
        } finally {
            NativeArrays.keepAlive(g, m, v, p);
        }
        return true;
    }

    /** That k + 1 ascending bounds go from 0 to n around k coefficients, else an IllegalArgumentException. */
    private static void checkSegments(long[] starts, double[] l2, long n) {
        boolean ok = l2.length >= 1 && starts.length == l2.length + 1 && starts[0] == 0 && starts[l2.length] == n;
        for (int i = 0; ok && i < l2.length; i++) {
            ok = starts[i] <= starts[i + 1];
        }
        if (!ok) {
            throw new IllegalArgumentException("segments do not cover the " + n + " values");
        }
    }

    /** αt as libnd4j's adam_updater computes it in the arrays' type. */
    private static double adamAlpha(DataType t, double lr, double b1, double b2, double eps, int iteration) {
        double alpha;
        if (t == DataType.FLOAT) {
            // libnd4j in float: b^(t+1) in float, sqrt of (1 - b2T) rounded to float, lr·sqrt in float, the
            // division in double, the result rounded to float
            float it = (float) iteration + 1f;
            float b1t = (float) Math.pow((float) b1, it);
            float b2t = (float) Math.pow((float) b2, it);
            float root = (float) Math.sqrt((float) (1.0 - b2t));
            float a = (float) ((double) ((float) lr * root) / (1.0 - b1t));
            alpha = Float.isNaN(a) || Float.isInfinite(a) || a == 0 ? (float) eps : a;
        } else {
            double it = iteration + 1.0;
            double a = lr * Math.sqrt(1.0 - Math.pow(b2, it)) / (1.0 - Math.pow(b1, it));
            alpha = Double.isNaN(a) || Double.isInfinite(a) || a == 0 ? eps : a;
        }
        return alpha;
    }

    /**
     * SGD with momentum (see {@link SgdMomentum}): v = v·mu + g, then g = v·lr, or (g + v·mu)·lr with nesterov;
     * velocity null (mu = 0): g = g·lr.
     */
    static boolean sgd(INDArray g, INDArray velocity, double lr, double mu, boolean nesterov) {
        DataType t = g.dataType();
        if (velocity == null ? !applies(t, g) : !applies(t, g, velocity)) {
            return false;
        }
        try {
            sgd0(code(t), NativeArrays.address(g), velocity == null ? 0 : NativeArrays.address(velocity), g.length(),
                    lr, mu, nesterov);
        } finally {
            NativeArrays.keepAlive(g, velocity);
        }
        return true;
    }

    /** {@link #sgd} with the step around it and L2 before it (see {@link #adamStep}); g is only read. */
    static boolean sgdStep(INDArray g, INDArray velocity, INDArray p, double divisor, long[] starts, double[] l2,
            double lr, double mu, boolean nesterov) {
        DataType t = g.dataType();
        if (velocity == null ? !applies(t, g, p) : !applies(t, g, velocity, p)) {
            return false;
        }
        checkSegments(starts, l2, g.length());
        try {
            sgdStep0(code(t), NativeArrays.address(g), velocity == null ? 0 : NativeArrays.address(velocity),
                    NativeArrays.address(p), g.length(), lr, mu, nesterov, divisor, starts, l2);
        } finally {
            NativeArrays.keepAlive(g, velocity, p);
        }
        return true;
    }

    /** L2 before the updater, as DL4J's L2Regularization computes it (libnd4j's Axpy op): g = g + c·w. */
    static boolean l2(INDArray g, INDArray w, double c) {
        DataType t = g.dataType();
        if (!applies(t, g, w)) {
            return false;
        }
        try {
            l20(code(t), NativeArrays.address(g), NativeArrays.address(w), g.length(), c);
        } finally {
            NativeArrays.keepAlive(g, w);
        }
        return true;
    }

    /** Σ w² accumulated in double (fixed order: the same bits every run), or NaN where the kernels do not apply. */
    static double sumSquares(INDArray w) {
        DataType t = w.dataType();
        if (!applies(t, w)) {
            return Double.NaN;
        }
        try {
            return sumSquares0(code(t), NativeArrays.address(w), w.length());
        } finally {
            NativeArrays.keepAlive(w);
        }
    }

    private static boolean applies(DataType t, INDArray... arrays) {
        if (!NativeArrays.use(t)) {
            return false;
        }
        long n = arrays[0].length();
        for (INDArray a : arrays) {
            if (a.dataType() != t || a.length() != n || !NativeArrays.isDense(a)) {
                return false;
            }
        }
        return true;
    }

    private static int code(DataType t) {
        return t == DataType.FLOAT ? 0 : 1;
    }

    private static native void adam0(int dtype, long g, long m, long v, long n, double b1, double b2, double alpha,
            double eps);

    private static native void adamStep0(int dtype, long g, long m, long v, long p, long n, double b1, double b2,
            double alpha, double eps, double divisor, long[] starts, double[] l2);

    private static native void sgdStep0(int dtype, long g, long v, long p, long n, double lr, double mu,
            boolean nesterov, double divisor, long[] starts, double[] l2);

    private static native void l20(int dtype, long g, long w, long n, double c);

    private static native double sumSquares0(int dtype, long w, long n);

    private static native void sgd0(int dtype, long g, long v, long n, double lr, double mu, boolean nesterov);
}
