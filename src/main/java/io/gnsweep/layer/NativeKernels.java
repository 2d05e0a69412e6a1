package io.gnsweep.layer;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fused GroupNorm forward and backward kernels (and BatchNorm's, for {@link BatchNormLayer}, and ReLU's, for
 * {@link ReluLayer}) for ND4J's CPU backend (C, {@code src/main/c}, built by
 * Maven with gcc into {@code io/gnsweep/layer/native/linux-x86_64/} of the jar, called through JNI on the
 * arrays' own memory). They make the passes over memory that a fused implementation must make, where the
 * layer's ND4J path makes ~26 (README, "Speed"), and compute in double, so float32 keeps full precision.
 *
 * <p>{@link GroupNormLayer} uses them when all hold: the library loaded (Linux x86-64, built when gcc was
 * present), ND4J runs on the CPU (the CUDA backend keeps the ND4J path, whose ops run on the GPU), the
 * data type is float or double, and {@value #PROPERTY} is not {@code false}. The property is read on every
 * call, so a benchmark or test can compare the two paths in one JVM. The kernels split a tensor's groups
 * across ND4J's OpenMP threads (one in a Spark task with {@code spark.task.cpus = 1}); their results do not
 * depend on the thread count.
 */
final class NativeKernels {
    /** System property: {@code false} makes the layer use its ND4J path even where the kernels load. */
    static final String PROPERTY = "gnsweep.layer.nativeKernels";
    static final String RESOURCE = "/io/gnsweep/layer/native/linux-x86_64/libgnsweep_kernels.so";

    private static final Logger LOG = LoggerFactory.getLogger(NativeKernels.class);
    private static final String UNAVAILABLE = load();

    private NativeKernels() {}

    /** Null when the library loaded, else why it did not. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** Whether the layer should run these kernels on arrays of this type now (see the class comment). */
    static boolean use(DataType type) {
        return UNAVAILABLE == null && (type == DataType.FLOAT || type == DataType.DOUBLE)
                && switchedOn(PROPERTY) && Nd4j.getEnvironment().isCPU();
    }

    /** Whether a switch of the layers' (a system property, on unless {@code false}) is on. */
    static boolean switchedOn(String property) {
        return !"false".equalsIgnoreCase(System.getProperty(property, "true").trim());
    }

    /**
     * Normalises x ([N, C, S] in C order) into y, then y = max(y, 0) when {@code relu} (a ReLU fused into the
     * layer), and writes each group's mean and 1/sqrt(σ² + eps) into mean and rstd (double, [N·G] each). gamma
     * and beta: [C] of x's type.
     */
    static void forward(INDArray x, INDArray y, INDArray gamma, INDArray beta, long n, long c, long s, long g,
            double eps, boolean relu, INDArray mean, INDArray rstd) {
        check(x, n * c * s, x.dataType());
        check(y, n * c * s, x.dataType());
        check(gamma, c, x.dataType());
        check(beta, c, x.dataType());
        check(mean, n * g, DataType.DOUBLE);
        check(rstd, n * g, DataType.DOUBLE);
        try {
            forward0(code(x), address(x), address(y), address(gamma), address(beta), n, c, s, g, eps, relu ? 1 : 0,
                    address(mean), address(rstd));
        } finally {
            keepAlive(x, y, gamma, beta, mean, rstd);
        }
    }

    /** Each group's mean and 1/sqrt(σ² + eps) of x into mean and rstd (double, [N·G] each), no output. */
    static void stats(INDArray x, long n, long c, long s, long g, double eps, INDArray mean, INDArray rstd) {
        check(x, n * c * s, x.dataType());
        check(mean, n * g, DataType.DOUBLE);
        check(rstd, n * g, DataType.DOUBLE);
        try {
            forward0(code(x), address(x), 0, 0, 0, n, c, s, g, eps, 0, address(mean), address(rstd));
        } finally {
            keepAlive(x, mean, rstd);
        }
    }

    /**
     * BatchNorm in training: each channel's batch mean and biased variance of x ([N, C, S] in C order) into mean
     * and var (double, [C] each), and y = γ·(x − μ)/sqrt(σ² + eps) + β, then y = max(y, 0) when {@code relu} (a
     * ReLU fused into the layer); y null: statistics only. gamma and beta: [C] of x's type (unused without y).
     */
    static void batchNormTrain(INDArray x, INDArray y, INDArray gamma, INDArray beta, long n, long c, long s,
            double eps, boolean relu, INDArray mean, INDArray var) {
        check(x, n * c * s, x.dataType());
        check(mean, c, DataType.DOUBLE);
        check(var, c, DataType.DOUBLE);
        if (y != null) {
            check(y, n * c * s, x.dataType());
            check(gamma, c, x.dataType());
            check(beta, c, x.dataType());
        }
        try {
            bnForward0(code(x), address(x), y == null ? 0 : address(y), y == null ? 0 : address(gamma),
                    y == null ? 0 : address(beta), n, c, s, eps, relu && y != null ? 1 : 0, 0, 0, 0, address(mean),
                    address(var));
        } finally {
            keepAlive(x, y, gamma, beta, mean, var);
        }
    }

    /**
     * BatchNorm in inference: y = γ·(x − μ)/sqrt(σ² + eps) + β with the running mean and the running variance,
     * or the running log10 std (σ² = (10^s)²) when {@code logStd}; all [C] of x's type. Then y = max(y, 0) when
     * {@code relu}.
     */
    static void batchNormInfer(INDArray x, INDArray y, INDArray gamma, INDArray beta, long n, long c, long s,
            double eps, boolean relu, INDArray runMean, INDArray runStat, boolean logStd) {
        DataType t = x.dataType();
        check(x, n * c * s, t);
        check(y, n * c * s, t);
        check(gamma, c, t);
        check(beta, c, t);
        check(runMean, c, t);
        check(runStat, c, t);
        try {
            bnForward0(code(x), address(x), address(y), address(gamma), address(beta), n, c, s, eps, relu ? 1 : 0,
                    address(runMean), address(runStat), logStd ? 1 : 0, 0, 0);
        } finally {
            keepAlive(x, y, gamma, beta, runMean, runStat);
        }
    }

    /**
     * BatchNorm's backward pass from the batch statistics mean and var (double [C]): dx, and overwrites dgamma
     * and dbeta; and the step DL4J's NoOp updater takes on the running statistics with the gradients DL4J's layer
     * defines for them (see {@link BatchNormLayer}): runMean and runStat minus those (the same rounding), and
     * dRunMean, dRunStat ([C], x's type) zero. With {@code beta} not null the forward pass applied a fused ReLU: dy
     * is taken where the output was positive (recomputed from x, the batch statistics, γ and β with the forward
     * pass's arithmetic, so the mask is the forward pass's to the bit), else as 0.
     */
    static void batchNormBackward(INDArray x, INDArray dy, INDArray dx, INDArray gamma, INDArray beta, INDArray mean,
            INDArray var, INDArray dgamma, INDArray dbeta, long n, long c, long s, double eps, INDArray runMean,
            INDArray runStat, INDArray dRunMean, INDArray dRunStat, double decay, boolean logStd) {
        DataType t = x.dataType();
        if (beta != null) {
            check(beta, c, t);
        }
        check(x, n * c * s, t);
        check(dy, n * c * s, t);
        check(dx, n * c * s, t);
        check(mean, c, DataType.DOUBLE);
        check(var, c, DataType.DOUBLE);
        for (INDArray a : new INDArray[] {gamma, dgamma, dbeta, runMean, runStat, dRunMean, dRunStat}) {
            check(a, c, t);
        }
        int status;
        try {
            status = bnBackward0(code(x), address(x), address(dy), address(dx), address(gamma),
                    beta == null ? 0 : address(beta), beta == null ? 0 : 1, address(mean), address(var),
                    address(dgamma), address(dbeta), n, c, s, eps, address(runMean), address(runStat),
                    address(dRunMean), address(dRunStat), decay, logStd ? 1 : 0);
        } finally {
            keepAlive(x, dy, dx, gamma, beta, mean, var, dgamma, dbeta, runMean, runStat, dRunMean, dRunStat);
        }
        if (status != 0) {
            throw new OutOfMemoryError("BatchNorm native backward: no memory for " + s + " values per thread");
        }
    }

    /** y = max(x, 0) elementwise (NaN stays NaN); x and y of the same type and length, dense in one same order. */
    static void relu(INDArray x, INDArray y) {
        char order = elementwiseOrder(x, y);
        check(x, x.length(), x.dataType(), order);
        check(y, x.length(), x.dataType(), order);
        try {
            relu0(code(x), address(x), 0, address(y), x.length());
        } finally {
            keepAlive(x, y);
        }
    }

    /** dx = dy where x > 0, else 0 (ReLU's backward pass); all of the same type and length, dense in one order. */
    static void reluBackward(INDArray x, INDArray dy, INDArray dx) {
        char order = elementwiseOrder(x, dy, dx);
        check(x, x.length(), x.dataType(), order);
        check(dy, x.length(), x.dataType(), order);
        check(dx, x.length(), x.dataType(), order);
        try {
            relu0(code(x), address(x), address(dy), address(dx), x.length());
        } finally {
            keepAlive(x, dy, dx);
        }
    }

    /** y = max(a + b, 0) elementwise, the sum in the arrays' type; all of one type and length, dense in C order. */
    static void addRelu(INDArray a, INDArray b, INDArray y) {
        check(a, a.length(), a.dataType());
        check(b, a.length(), a.dataType());
        check(y, a.length(), a.dataType());
        try {
            addRelu0(code(a), address(a), address(b), 0, address(y), 0, a.length());
        } finally {
            keepAlive(a, b, y);
        }
    }

    /** da = db = dy where a + b > 0, else 0 (the backward pass of {@link #addRelu}); all alike, dense in C order. */
    static void addReluBackward(INDArray a, INDArray b, INDArray dy, INDArray da, INDArray db) {
        for (INDArray x : new INDArray[] {a, b, dy, da, db}) {
            check(x, a.length(), a.dataType());
        }
        try {
            addRelu0(code(a), address(a), address(b), address(dy), address(da), address(db), a.length());
        } finally {
            keepAlive(a, b, dy, da, db);
        }
    }

    /** The OpenMP threads the kernels would use if called from this thread now. */
    static int maxThreads() {
        return maxThreads0();
    }

    /**
     * dx from x, dy and the forward pass's mean and rstd; overwrites dgamma and dbeta ([C], x's type) with
     * Σ dy·x̂ and Σ dy per channel. With {@code beta} not null the forward pass applied a fused ReLU: dy is taken
     * where the output was positive (recomputed from x, mean, rstd, γ and β with the forward pass's arithmetic, so
     * the mask is the forward pass's to the bit), else as 0.
     */
    static void backward(INDArray x, INDArray dy, INDArray dx, INDArray gamma, INDArray beta, INDArray mean,
            INDArray rstd, INDArray dgamma, INDArray dbeta, long n, long c, long s, long g) {
        DataType t = x.dataType();
        if (beta != null) {
            check(beta, c, t);
        }
        check(x, n * c * s, t);
        check(dy, n * c * s, t);
        check(dx, n * c * s, t);
        check(gamma, c, t);
        check(dgamma, c, t);
        check(dbeta, c, t);
        check(mean, n * g, DataType.DOUBLE);
        check(rstd, n * g, DataType.DOUBLE);
        int status;
        try {
            status = backward0(code(x), address(x), address(dy), address(dx), address(gamma),
                    beta == null ? 0 : address(beta), beta == null ? 0 : 1, address(mean), address(rstd),
                    address(dgamma), address(dbeta), n, c, s, g);
        } finally {
            keepAlive(x, dy, dx, gamma, beta, mean, rstd, dgamma, dbeta);
        }
        if (status != 0) {
            throw new OutOfMemoryError("GroupNorm native backward: no memory for " + 2 * n * c + " doubles");
        }
    }

    /**
     * Keeps the arrays, and with them their native memory, reachable until the kernel has returned: only raw
     * addresses reach C, and ND4J frees memory outside workspaces once its array object is unreachable, which
     * a compiled caller may let happen mid-call.
     */
    static void keepAlive(INDArray... arrays) {
        for (INDArray a : arrays) {
            Reference.reachabilityFence(a);
        }
        Reference.reachabilityFence(arrays);
    }

    /**
     * Whether a's elements, taken in the logical order {@code order} names ('c': last index fastest, 'f': first
     * index fastest), lie one after another in memory from a's first element: the layout the kernels index.
     * Only strides of dimensions longer than 1 matter, and a's own ordering flag does not: ND4J gives a C-ordered
     * [N, C, 1, 1] the strides [C, 1, 1, 1], which {@code Shape.hasDefaultStridesForShape} does not count as
     * default, and an 'f' array such as [1, C] or a permuted view can be C-contiguous in memory.
     */
    static boolean isDense(INDArray a, char order) {
        if (a.isEmpty() || a.data() == null) {
            return false;
        }
        int rank = a.rank();
        long expected = 1;
        for (int i = 0; i < rank; i++) {
            int dim = order == 'c' ? rank - 1 - i : i;
            long size = a.size(dim);
            if (size != 1 && a.stride(dim) != expected) {
                return false;
            }
            expected *= size;
        }
        // the kernels take the buffer's address as the first element's: that of a view's own buffer
        return a.offset() == a.data().offset() && a.data().length() >= a.length();
    }

    /** The order ('c' preferred, else 'f') in which all of the arrays are dense, or 'c' if there is none. */
    private static char elementwiseOrder(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (!isDense(a, 'c')) {
                return 'f';
            }
        }
        return 'c';
    }

    /** The kernels index raw memory: refuse anything but an array of this type and length, dense in this order. */
    private static void check(INDArray a, long length, DataType type, char order) {
        if (a.dataType() != type || a.length() != length || !isDense(a, order)) {
            throw new IllegalArgumentException("native kernel: expected a dense " + order + "-ordered "
                    + type + " array of " + length + " elements, got " + a.shapeInfoToString().replace('\n', ' '));
        }
    }

    static void check(INDArray a, long length, DataType type) {
        check(a, length, type, 'c');
    }

    private static int code(INDArray x) {
        return x.dataType() == DataType.FLOAT ? 0 : 1;
    }

    /**
     * The address of the array's first element: its buffer's base address plus the buffer's offset (a view's
     * buffer starts where the view does). The same as {@code a.data().addressPointer().address()}, which in
     * ND4J 1.0.0-M2.1 makes two pointer objects on each call (~180 bytes and ~0.1 µs; at batch 2 a ResNet-20
     * step made ~1,000 of them, an eighth of what the step allocated on the heap); this reads two fields.
     */
    static long address(INDArray a) {
        DataBuffer d = a.data();
        return d.address() + d.offset() * d.getElementSize();
    }

    private static String load() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return reason("built for Linux x86-64 only, this is " + os + " " + arch);
        }
        // ND4J first: the kernels link libgomp, and must share the OpenMP runtime (and thread setting) that
        // ND4J's CPU backend loads from its own jar
        Nd4j.getEnvironment();
        try {
            if (!loadFromJar(RESOURCE)) {
                return reason(RESOURCE + " is not on the classpath (built without gcc?)");
            }
            return null;
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            // built and shipped, yet not loadable here (a noexec temp folder, a missing libgomp): worth a warning
            String why = "loading " + RESOURCE + " failed: " + e;
            LOG.warn("GroupNorm native CPU kernels unavailable ({}); the layer uses its slower ND4J ops", why);
            return why;
        }
    }

    /**
     * Loads a native library that travels in the jar: copied to a temporary file, loaded, the file removed (the
     * mapping stays valid once loaded). False, having done nothing, when the jar does not hold it.
     */
    static boolean loadFromJar(String resource) throws IOException {
        try (InputStream in = NativeKernels.class.getResourceAsStream(resource)) {
            if (in == null) {
                return false;
            }
            Path file = Files.createTempFile("gnsweep_native", ".so");
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toAbsolutePath().toString());
            } finally {
                Files.deleteIfExists(file);
            }
            return true;
        }
    }

    private static String reason(String why) {
        LOG.info("GroupNorm native CPU kernels unavailable ({}); the layer uses ND4J ops", why);
        return why;
    }

    private static native void forward0(int dtype, long x, long y, long gamma, long beta, long n, long c, long s,
            long g, double eps, int relu, long mean, long rstd);

    private static native int backward0(int dtype, long x, long dy, long dx, long gamma, long beta, int relu,
            long mean, long rstd, long dgamma, long dbeta, long n, long c, long s, long g);

    private static native int maxThreads0();

    private static native void bnForward0(int dtype, long x, long y, long gamma, long beta, long n, long c, long s,
            double eps, int relu, long runMean, long runStat, int logStd, long mean, long var);

    private static native int bnBackward0(int dtype, long x, long dy, long dx, long gamma, long beta, int relu,
            long mean, long var, long dgamma, long dbeta, long n, long c, long s, double eps, long runMean,
            long runStat, long dRunMean, long dRunStat, double decay, int logStd);

    private static native void relu0(int dtype, long x, long dy, long out, long n);

    private static native void addRelu0(int dtype, long a, long b, long dy, long out, long out2, long n);
}
