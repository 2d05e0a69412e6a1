package io.gnsweep.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gnsweep.runtime.NativeSetup;
import java.util.Random;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The fused CPU kernels against the layer's ND4J path, on the same layer and the same input: the forward
 * output, dx, dγ and dβ (the other layer tests run on both paths; see the *Nd4jPathTest classes).
 */
class NativeKernelsTest {

    @BeforeAll
    static void setUp() {
        NativeSetup.init();
    }

    @AfterEach
    void defaultPath() {
        System.clearProperty(NativeKernels.PROPERTY);
    }

    /** Where Maven's native-kernels profile built the library (Linux x86-64 with gcc), it must load. */
    /** The address the kernels get is the first element's: fresh arrays, views with offsets, reshaped views. */
    @Test
    void addressIsTheFirstElementsForArraysAndViews() {
        INDArray base = Nd4j.rand(DataType.FLOAT, 4, 10);
        INDArray d = Nd4j.rand(DataType.DOUBLE, 5, 6);
        INDArray[] arrays = {base, base.getRow(2), base.reshape(-1).get(NDArrayIndex.interval(7, 20)),
            base.reshape(-1).get(NDArrayIndex.interval(8, 20)).reshape(3, 4), base.tensorAlongDimension(1, 1),
            d, d.getRow(3), d.reshape(-1).get(NDArrayIndex.interval(5, 11))};
        for (INDArray a : arrays) {
            assertEquals(a.data().addressPointer().address(), NativeKernels.address(a), a.shapeInfoToString());
            assertEquals(a.getDouble(0), valueAt(NativeKernels.address(a), a.dataType()), 0.0);
        }
    }

    /** The float or double stored at a native address. */
    private static double valueAt(long where, DataType type) {
        org.bytedeco.javacpp.Pointer at = new org.bytedeco.javacpp.Pointer() {
            {
                this.address = where;
            }
        };
        return type == DataType.FLOAT ? new org.bytedeco.javacpp.FloatPointer(at).get()
                : new org.bytedeco.javacpp.DoublePointer(at).get();
    }

    @Test
    void kernelsLoadWhereTheyWereBuilt() {
        assumeTrue(Boolean.getBoolean("gnsweep.kernels.expected"), "built without the native-kernels profile");
        assertNull(NativeKernels.unavailableReason());
        assertTrue(NativeKernels.use(DataType.FLOAT));
        assertTrue(NativeKernels.use(DataType.DOUBLE));
        System.setProperty(NativeKernels.PROPERTY, "false");
        assertTrue(!NativeKernels.use(DataType.FLOAT));
    }

    @ParameterizedTest(name = "{5}: N={0} C={1} HxW={2}x{3} G={4}")
    @CsvSource({
        "4, 64, 8, 8, 1, FLOAT",
        "8, 64, 16, 16, 8, FLOAT",  // 131,072 values: split across threads (above the kernels' threshold)
        "4, 64, 8, 8, 8, FLOAT",
        "4, 64, 8, 8, 64, FLOAT",
        "3, 12, 5, 7, 3, FLOAT",
        "5, 32, 0, 0, 4, FLOAT",     // dense [N, C]
        "2, 16, 7, 7, 16, DOUBLE",
        "3, 12, 5, 7, 3, DOUBLE",
        "5, 32, 0, 0, 8, DOUBLE",
    })
    void kernelsMatchTheNd4jPath(int n, int c, int h, int w, int g, DataType type) {
        assumeTrue(NativeKernels.unavailableReason() == null, "native kernels not built here");
        int s = h > 0 ? h * w : 1;
        Random r = new Random(n * 1000 + c * 10 + g);
        long[] shape = h > 0 ? new long[] {n, c, h, w} : new long[] {n, c};
        INDArray x = Nd4j.create(GroupNormalizationTest.randoms(r, n * c * s, -2, 5), shape, 'c').castTo(type);
        INDArray dy = Nd4j.create(GroupNormalizationTest.randoms(r, n * c * s, -1, 1), shape, 'c').castTo(type);
        Result nd4j = run(false, c, h, w, g, type, x, dy, true);
        Result fused = run(true, c, h, w, g, type, x, dy, true);
        Result fusedBackpropOnly = run(true, c, h, w, g, type, x, dy, false);
        double tol = type == DataType.DOUBLE ? 1e-12 : 2e-5;
        nd4j.assertClose(fused, tol, "forward then backward");
        nd4j.assertCloseGradients(fusedBackpropOnly, tol, "backward alone");
    }

    /** An input that is a view into a larger array (offset buffer): the kernels must start at the view. */
    @Test
    void viewsWithAnOffsetAreReadFromTheirOwnStart() {
        assumeTrue(NativeKernels.unavailableReason() == null, "native kernels not built here");
        int c = 8;
        Random r = new Random(5);
        INDArray big = Nd4j.create(GroupNormalizationTest.randoms(r, 6 * c * 16, -3, 3), new long[] {6, c, 4, 4}, 'c')
                .castTo(DataType.FLOAT);
        INDArray view = big.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
        assertTrue(view.offset() > 0);
        INDArray dy = Nd4j.create(GroupNormalizationTest.randoms(r, 3 * c * 16, -1, 1), new long[] {3, c, 4, 4}, 'c')
                .castTo(DataType.FLOAT);
        Result nd4j = run(false, c, 4, 4, 2, DataType.FLOAT, view.dup('c'), dy, true);
        Result fused = run(true, c, 4, 4, 2, DataType.FLOAT, view, dy, true);
        nd4j.assertClose(fused, 2e-5, "offset view");
    }

    /**
     * The kernels split large tensors across ND4J's OpenMP threads; every sum is still taken by one thread in
     * a fixed order, so one and two threads give bit-identical results (what makes trials reproducible).
     */
    @Test
    void resultsDoNotDependOnTheThreadCount() {
        assumeTrue(NativeKernels.unavailableReason() == null, "native kernels not built here");
        Random r = new Random(8);
        long[] shape = {8, 64, 16, 16}; // 131,072 values: above the kernels' parallel threshold
        INDArray x = Nd4j.create(GroupNormalizationTest.randoms(r, 8 * 64 * 256, -2, 5), shape, 'c').castTo(DataType.FLOAT);
        INDArray dy = Nd4j.create(GroupNormalizationTest.randoms(r, 8 * 64 * 256, -1, 1), shape, 'c').castTo(DataType.FLOAT);
        int before = Nd4j.getEnvironment().maxMasterThreads();
        try {
            NativeSetup.bindThreads(1);
            assertEquals(1, NativeKernels.maxThreads());
            Result one = run(true, 64, 16, 16, 8, DataType.FLOAT, x, dy, true);
            NativeSetup.bindThreads(2);
            assertEquals(2, NativeKernels.maxThreads(), "ND4J's thread setting must reach the kernels' OpenMP");
            Result two = run(true, 64, 16, 16, 8, DataType.FLOAT, x, dy, true);
            one.assertClose(two, 0, "1 vs 2 threads");
        } finally {
            NativeSetup.bindThreads(Math.max(1, before));
        }
    }

    /** Arrays the kernels would index wrongly are refused before any native call. */
    @Test
    void nonDenseArraysAreRefused() {
        assumeTrue(NativeKernels.unavailableReason() == null, "native kernels not built here");
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 4, 3, 3);
        INDArray y = Nd4j.create(DataType.FLOAT, 2, 4, 3, 3);
        INDArray gamma = Nd4j.ones(DataType.FLOAT, 4);
        INDArray beta = Nd4j.zeros(DataType.FLOAT, 4);
        INDArray stats = Nd4j.create(DataType.DOUBLE, 4);
        INDArray strided = Nd4j.rand(DataType.FLOAT, 2, 4, 3, 6).get(NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.all(), NDArrayIndex.interval(0, 3));
        assertThrows(IllegalArgumentException.class,
                () -> NativeKernels.forward(strided, y, gamma, beta, 2, 4, 9, 2, 1e-5, false, stats, stats));
        assertThrows(IllegalArgumentException.class,
                () -> NativeKernels.forward(x, y, gamma, beta, 2, 4, 9, 2, 1e-5, false, stats, Nd4j.create(DataType.FLOAT, 4)));
        assertThrows(IllegalArgumentException.class,
                () -> NativeKernels.forward(x, y.castTo(DataType.DOUBLE), gamma, beta, 2, 4, 9, 2, 1e-5, false, stats, stats));
        assertThrows(IllegalArgumentException.class,
                () -> NativeKernels.forward(x, y, Nd4j.ones(DataType.FLOAT, 3), beta, 2, 4, 9, 2, 1e-5, false, stats, stats));
    }

    /**
     * Dense arrays in any of the layouts ND4J produces are taken as they are (no copy): size-1 dimensions with any
     * stride, an 'f' array with one dimension above 1, a view with an offset; strided and permuted views are not.
     */
    @Test
    void denseLayoutsAreRecognised() {
        assumeTrue(NativeKernels.unavailableReason() == null, "native kernels not built here");
        INDArray pooled = Nd4j.rand(DataType.FLOAT, 2, 12, 1, 1); // strides [12, 1, 1, 1]
        assertTrue(NativeKernels.isDense(pooled, 'c'));
        assertTrue(NativeKernels.isDense(Nd4j.rand(DataType.FLOAT, 2, 8, 5, 1), 'c'));
        assertTrue(NativeKernels.isDense(Nd4j.rand(DataType.FLOAT, 2, 8, 1, 5), 'c'));
        assertTrue(NativeKernels.isDense(Nd4j.rand(DataType.FLOAT, 1, 12, 1, 1).dup('f'), 'c'));
        assertTrue(NativeKernels.isDense(Nd4j.rand(DataType.FLOAT, 4, 6).dup('f'), 'f'));
        assertTrue(!NativeKernels.isDense(Nd4j.rand(DataType.FLOAT, 4, 6).dup('f'), 'c'));
        INDArray big = Nd4j.rand(DataType.FLOAT, 6, 4, 3, 3);
        assertTrue(NativeKernels.isDense(big.get(NDArrayIndex.interval(2, 5)), 'c'));
        assertTrue(!NativeKernels.isDense(big.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2)), 'c'));
        assertTrue(!NativeKernels.isDense(Nd4j.rand(DataType.FLOAT, 2, 3, 3, 4).permute(0, 3, 1, 2), 'c'));
        assertTrue(LayerPlumbing.contiguous(pooled) == pooled, "a dense array is not copied");
        INDArray y = Nd4j.create(DataType.FLOAT, 2, 12, 1, 1);
        INDArray stats = Nd4j.create(DataType.DOUBLE, 6);
        NativeKernels.forward(pooled, y, Nd4j.ones(DataType.FLOAT, 12), Nd4j.zeros(DataType.FLOAT, 12), 2, 12, 1, 3,
                1e-5, false, stats, Nd4j.create(DataType.DOUBLE, 6));
        assertTrue(y.amaxNumber().doubleValue() > 0.5);
    }

    private static Result run(boolean fused, int c, int h, int w, int g, DataType type, INDArray x, INDArray dy,
            boolean forwardFirst) {
        System.setProperty(NativeKernels.PROPERTY, Boolean.toString(fused));
        MultiLayerNetwork net = GroupNormalizationTest.single(c, h, w, g, type, 11);
        net.initGradientsView();
        Layer layer = net.getLayer(0);
        layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
        INDArray y = forwardFirst ? layer.activate(true, LayerWorkspaceMgr.noWorkspaces()).dup() : null;
        INDArray dx = layer.backpropGradient(dy, LayerWorkspaceMgr.noWorkspaces()).getSecond().dup();
        INDArray grads = layer.getGradientsViewArray().dup();
        return new Result(y, dx, grads);
    }

    private record Result(INDArray y, INDArray dx, INDArray grads) {
        void assertClose(Result other, double tol, String what) {
            check(y, other.y, tol, what + ": y");
            assertCloseGradients(other, tol, what);
        }

        void assertCloseGradients(Result other, double tol, String what) {
            check(dx, other.dx, tol, what + ": dx");
            check(grads, other.grads, tol, what + ": dγ, dβ");
        }

        /** |a − b| ≤ tol · max(1, max |a|), elementwise. */
        private static void check(INDArray a, INDArray b, double tol, String what) {
            INDArray ad = a.castTo(DataType.DOUBLE).reshape(a.length());
            INDArray bd = b.castTo(DataType.DOUBLE).reshape(b.length());
            double scale = Math.max(1, ad.amaxNumber().doubleValue());
            double err = Transforms.abs(ad.sub(bd), false).maxNumber().doubleValue();
            assertTrue(err <= tol * scale, what + ": max |Δ| = " + err + " (scale " + scale + ")");
        }
    }
}
