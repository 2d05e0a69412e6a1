package io.gnsweep.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gnsweep.runtime.NativeSetup;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * gnsweep's convolution against DL4J's ConvolutionLayer: output, dx, dW and db of the oneDNN path within float32
 * rounding of DL4J's layer computed in double from the same values, over kernels, strides, padding, modes and
 * shapes; the fallback (property off, double precision) is DL4J's code bit for bit; plans per input shape; JSON.
 */
class Conv2DTest {
    private static final LayerWorkspaceMgr NO_WS = LayerWorkspaceMgr.noWorkspaces();
    private static final int[] K3 = {3, 3};
    private static final int[] ONE = {1, 1};

    @BeforeAll
    static void setUp() {
        NativeSetup.init();
    }

    @AfterEach
    void defaultPath() {
        System.clearProperty(ConvKernels.PROPERTY);
        System.clearProperty(ConvKernels.NARROW_BLOCKS_PROPERTY);
        System.clearProperty(ConvKernels.WINOGRAD_PROPERTY);
        System.clearProperty(ConvKernels.BATCH_GEMM_PROPERTY);
    }

    private static Layer layer(org.deeplearning4j.nn.conf.layers.Layer conf, DataType type, long[] shape) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(type).seed(3)
                .list().layer(conf).setInputType(InputType.convolutional(shape[2], shape[3], shape[1])).build());
        net.init();
        net.initGradientsView();
        return net.getLayer(0);
    }

    private static ConvolutionLayer.Builder configure(ConvolutionLayer.Builder b, int[] k, int[] s, int[] pad,
            ConvolutionMode mode, int nOut, boolean bias) {
        b.kernelSize(k).stride(s).convolutionMode(mode).nOut(nOut).hasBias(bias).activation(Activation.IDENTITY);
        if (mode != ConvolutionMode.Same) {
            b.padding(pad);
        }
        return b;
    }

    /** A float32 layer of gnsweep's: 3x3, stride 1, padding 1, nOut channels. */
    private static Layer conv3x3(long[] shape, int nOut, boolean bias) {
        return layer(configure(new Conv2D.Builder(K3), K3, ONE, ONE, ConvolutionMode.Truncate, nOut, bias).build(),
                DataType.FLOAT, shape);
    }

    /** checkAgainstDl4j for {@link #conv3x3}'s layer. */
    private static INDArray[] check3x3AgainstDl4j(long[] shape, int nOut, boolean bias) {
        return checkAgainstDl4j(shape, K3, ONE, ONE, ConvolutionMode.Truncate, nOut, bias);
    }

    /** The implementation oneDNN chose for {@link #conv3x3}'s layer on this input shape. */
    private static String implementation3x3(long[] shape, int nOut, boolean bias) {
        return ((Conv2DLayer) conv3x3(shape, nOut, bias)).implementation(Nd4j.zeros(DataType.FLOAT, shape));
    }

    /** (shape, kernel, stride, padding, mode, nOut, bias) */
    static Stream<Arguments> grid() {
        List<Arguments> out = new ArrayList<>();
        out.add(Arguments.of(new long[] {2, 1, 32, 32}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1},
                ConvolutionMode.Truncate, 8, false)); // the ResNet's stem on a Fashion-MNIST image
        out.add(Arguments.of(new long[] {32, 8, 32, 32}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1},
                ConvolutionMode.Truncate, 8, false)); // a ResNet of width 0.5's first stage (8-channel blocks)
        out.add(Arguments.of(new long[] {2, 8, 32, 32}, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1},
                ConvolutionMode.Truncate, 16, false)); // a stage's first, stride-2 convolution
        out.add(Arguments.of(new long[] {4, 24, 6, 6}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1},
                ConvolutionMode.Truncate, 8, true)); // 24 channels: 16-channel blocks pad them, 8-channel ones do not
        out.add(Arguments.of(new long[] {2, 8, 32, 32}, new int[] {1, 1}, new int[] {2, 2}, new int[] {0, 0},
                ConvolutionMode.Truncate, 16, false)); // its projection shortcut
        out.add(Arguments.of(new long[] {32, 16, 8, 8}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1},
                ConvolutionMode.Truncate, 32, true));
        out.add(Arguments.of(new long[] {3, 5, 7, 9}, new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0},
                ConvolutionMode.Truncate, 6, true));
        out.add(Arguments.of(new long[] {2, 4, 7, 7}, new int[] {3, 3}, new int[] {2, 2}, null,
                ConvolutionMode.Same, 3, true)); // Same mode: one more row of padding after than before
        out.add(Arguments.of(new long[] {1, 3, 6, 5}, new int[] {3, 2}, new int[] {1, 2}, null,
                ConvolutionMode.Same, 4, false));
        out.add(Arguments.of(new long[] {4, 6, 8, 8}, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1},
                ConvolutionMode.Truncate, 5, true)); // truncated: the last padded row is never used
        out.add(Arguments.of(new long[] {2, 128, 2, 2}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1},
                ConvolutionMode.Truncate, 128, false)); // vgg-cifar's last block
        return out.stream();
    }

    @ParameterizedTest(name = "{0} k{1} s{2} p{3} {4} out {5} bias {6}")
    @MethodSource("grid")
    void matchesDl4jsConvolutionInDouble(long[] shape, int[] k, int[] s, int[] pad, ConvolutionMode mode, int nOut,
            boolean bias) {
        assumeTrue(ConvKernels.unavailableReason() == null, "oneDNN convolution not built here");
        checkAgainstDl4j(shape, k, s, pad, mode, nOut, bias);
    }

    /** The same with oneDNN's own choice of formats everywhere (no 8-channel blocks in its place). */
    @ParameterizedTest(name = "{0} k{1} s{2} p{3} {4} out {5} bias {6}")
    @MethodSource("grid")
    void matchesDl4jsConvolutionInDoubleInOneDnnsOwnFormats(long[] shape, int[] k, int[] s, int[] pad,
            ConvolutionMode mode, int nOut, boolean bias) {
        assumeTrue(ConvKernels.unavailableReason() == null, "oneDNN convolution not built here");
        System.setProperty(ConvKernels.NARROW_BLOCKS_PROPERTY, "false");
        checkAgainstDl4j(shape, k, s, pad, mode, nOut, bias);
    }

    /**
     * The passes as GEMMs over the batch (conv_kernels.c, batch_gemm_forward and the two after it), run on every
     * layer here ({@code always}): output, dx, dW and db within float32 rounding of DL4J's in double, over the
     * grid's strides, padding, modes, 1x1 projections and bias.
     */
    @ParameterizedTest(name = "{0} k{1} s{2} p{3} {4} out {5} bias {6}")
    @MethodSource("grid")
    void matchesDl4jsConvolutionInDoubleWithGemmsOverTheBatch(long[] shape, int[] k, int[] s, int[] pad,
            ConvolutionMode mode, int nOut, boolean bias) {
        assumeTrue(ConvKernels.unavailableReason() == null, "oneDNN convolution not built here");
        System.setProperty(ConvKernels.BATCH_GEMM_PROPERTY, "always");
        checkAgainstDl4j(shape, k, s, pad, mode, nOut, bias);
        assertEquals("gnsweep:batch-gemm", backwardWeightsImplementation3x3(shape, nOut, bias));
        assertEquals("gnsweep:batch-gemm", implementation3x3(shape, nOut, bias));
    }

    /**
     * By default backward weights runs as one GEMM over the batch exactly where oneDNN's choice for it is its GEMM
     * code (vgg-cifar's last block on an AVX2 machine), and the other two passes too where the batch has at most 8
     * output pixels; with the property off oneDNN runs them all. The values agree within float32 rounding.
     */
    @Test
    void gemmsOverTheBatchRunWhereOneDnnWouldRunItsGemm() {
        assumeTrue(ConvKernels.unavailableReason() == null, "oneDNN convolution not built here");
        for (long[] shape : new long[][] {{2, 128, 2, 2}, {8, 128, 2, 2}, {32, 16, 8, 8}}) {
            int c = (int) shape[1];
            System.setProperty(ConvKernels.BATCH_GEMM_PROPERTY, "false");
            String onednn = backwardWeightsImplementation3x3(shape, c, false);
            String onednnForward = implementation3x3(shape, c, false);
            assertFalse(onednn.isEmpty() || onednn.startsWith("gnsweep") || onednnForward.startsWith("gnsweep"),
                    onednn + ", " + onednnForward);
            INDArray[] theirs = check3x3AgainstDl4j(shape, c, false);
            System.clearProperty(ConvKernels.BATCH_GEMM_PROPERTY);
            boolean gemm = onednn.contains("gemm"), all = gemm && shape[0] * shape[2] * shape[3] <= 8;
            String what = "oneDNN's choice " + onednn + " on " + java.util.Arrays.toString(shape);
            assertEquals(gemm ? "gnsweep:batch-gemm" : onednn, backwardWeightsImplementation3x3(shape, c, false), what);
            assertEquals(all ? "gnsweep:batch-gemm" : onednnForward, implementation3x3(shape, c, false), what);
            INDArray[] ours = check3x3AgainstDl4j(shape, c, false);
            for (int i = 0; i < ours.length; i++) {
                assertClose(theirs[i], ours[i], "result " + i + ", " + what);
            }
        }
    }

    /** What runs backward weights for {@link #conv3x3}'s layer on this input shape, after one training pass. */
    private static String backwardWeightsImplementation3x3(long[] shape, int nOut, boolean bias) {
        Layer l = conv3x3(shape, nOut, bias);
        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.randn(DataType.FLOAT, shape);
        l.setInput(x, NO_WS);
        INDArray y = l.activate(true, NO_WS);
        l.backpropGradient(Nd4j.randn(DataType.FLOAT, y.shape()), NO_WS);
        return ((Conv2DLayer) l).backwardWeightsImplementation(x);
    }

    /** (shape, nOut, bias, whether Winograd's algorithm is asked for: conv_kernels.c, winograd_pays) */
    static Stream<Arguments> winogradGrid() {
        return Stream.of(
                Arguments.of(new long[] {8, 32, 16, 16}, 32, true, true), // n x oh x ow x c = 65,536: the least
                Arguments.of(new long[] {32, 64, 8, 8}, 64, false, true), // a ResNet of width 1's last stage
                Arguments.of(new long[] {32, 32, 16, 16}, 64, false, true), // more channels out than in
                Arguments.of(new long[] {32, 128, 4, 4}, 128, true, true),
                Arguments.of(new long[] {4, 32, 16, 16}, 32, true, false), // too little work
                Arguments.of(new long[] {32, 16, 32, 32}, 16, false, false), // too few channels
                Arguments.of(new long[] {64, 128, 2, 2}, 128, false, false)); // outputs smaller than 4x4
    }

    /**
     * The layers where Winograd's algorithm pays run it (where oneDNN has the code: AVX-512 machines), the others
     * the direct one; either matches DL4J's convolution in double within float32 rounding, the bound the direct
     * algorithm is held to (Winograd's errors here: ~1-3e-6 of the largest value, the direct one's 0.2-3e-6).
     */
    @ParameterizedTest(name = "{0} out {1} bias {2} winograd {3}")
    @MethodSource("winogradGrid")
    void winogradWhereItPaysMatchesDl4jsConvolutionInDouble(long[] shape, int nOut, boolean bias, boolean wino)
            throws java.io.IOException {
        assumeTrue(ConvKernels.unavailableReason() == null, "oneDNN convolution not built here");
        String impl = implementation3x3(shape, nOut, bias);
        boolean avx512 = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo")).contains(" avx512bw");
        assertEquals(wino && avx512, impl.contains("wino"), impl);
        check3x3AgainstDl4j(shape, nOut, bias);
    }

    /** With {@code gnsweep.layer.dnnlWinograd=false} every layer runs the direct algorithm. */
    @ParameterizedTest(name = "{0} out {1} bias {2}")
    @MethodSource("winogradGrid")
    void withWinogradOffTheDirectAlgorithmRuns(long[] shape, int nOut, boolean bias, boolean wino) {
        assumeTrue(ConvKernels.unavailableReason() == null, "oneDNN convolution not built here");
        System.setProperty(ConvKernels.WINOGRAD_PROPERTY, "false");
        String impl = implementation3x3(shape, nOut, bias);
        assertFalse(impl.contains("wino"), impl);
        check3x3AgainstDl4j(shape, nOut, bias);
    }

    /**
     * Without the input gradient (a network's first layer, see Conv2DLayer#setInputGradient) the layer returns
     * none, and dW and db are those of a layer that computes it, bit for bit, whether the backward-data pass was
     * run before on the same plan or never made; DL4J's code, where it runs, still returns it.
     */
    @Test
    void withoutTheInputGradientTheWeightGradientsAreTheSame() {
        assumeTrue(ConvKernels.unavailableReason() == null, "oneDNN convolution not built here");
        long[] shape = {4, 16, 12, 12};
        Layer full = conv3x3(shape, 16, true);
        Layer first = conv3x3(shape, 16, true);
        first.setParams(full.params().dup());
        ((Conv2DLayer) first).setInputGradient(false);
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(DataType.FLOAT, shape);
        INDArray dy = Nd4j.randn(DataType.FLOAT, 4, 16, 12, 12);
        for (int round = 0; round < 2; round++) {
            full.setInput(x, NO_WS);
            float[] y = full.activate(true, NO_WS).dup().data().asFloat();
            Pair<Gradient, INDArray> g = full.backpropGradient(dy, NO_WS);
            float[] dw = g.getFirst().getGradientFor("W").dup('c').data().asFloat();
            float[] db = g.getFirst().getGradientFor("b").dup('c').data().asFloat();
            assertNotNull(g.getSecond());
            // the forward pass in between leaves x in the thread's buffers, where the other layer's dy was
            first.setInput(x, NO_WS);
            assertArrayEquals(y, first.activate(true, NO_WS).dup().data().asFloat());
            Pair<Gradient, INDArray> h = first.backpropGradient(dy, NO_WS);
            assertNull(h.getSecond(), "no input gradient");
            assertArrayEquals(dw, h.getFirst().getGradientFor("W").dup('c').data().asFloat(), "dW, round " + round);
            assertArrayEquals(db, h.getFirst().getGradientFor("b").dup('c').data().asFloat(), "db, round " + round);
            ((Conv2DLayer) first).setInputGradient(true); // the second time: backward data made on this plan now
            assertNotNull(first.backpropGradient(dy, NO_WS).getSecond());
            ((Conv2DLayer) first).setInputGradient(false);
        }
        System.setProperty(ConvKernels.PROPERTY, "false");
        first.setInput(x, NO_WS);
        first.activate(true, NO_WS);
        assertNotNull(first.backpropGradient(dy, NO_WS).getSecond(), "DL4J's code computes it");
    }

    /** One forward and backward pass of gnsweep's layer against DL4J's in double; returns y, dx and dW. */
    private static INDArray[] checkAgainstDl4j(long[] shape, int[] k, int[] s, int[] pad, ConvolutionMode mode,
            int nOut, boolean bias) {
        Layer ours = layer(configure(new Conv2D.Builder(k), k, s, pad, mode, nOut, bias).build(), DataType.FLOAT,
                shape);
        Layer ref = layer(configure(new ConvolutionLayer.Builder(k), k, s, pad, mode, nOut, bias).build(),
                DataType.DOUBLE, shape);
        assertInstanceOf(Conv2DLayer.class, ours);
        Nd4j.getRandom().setSeed(shape[1] * 7 + nOut);
        INDArray params = Nd4j.randn(DataType.DOUBLE, 1, ours.numParams());
        ours.setParams(params.castTo(DataType.FLOAT));
        ref.setParams(params);
        INDArray x = Nd4j.randn(DataType.DOUBLE, shape).castTo(DataType.FLOAT);
        ours.setInput(x.dup('f'), NO_WS); // not C-ordered: the layer makes its own dense copy
        assertNotNull(((Conv2DLayer) ours).fusedDims(x), "the oneDNN path runs");
        INDArray y = ours.activate(true, NO_WS).dup();
        ref.setInput(x.castTo(DataType.DOUBLE), NO_WS);
        INDArray yRef = ref.activate(true, NO_WS).dup();
        assertArrayEquals(yRef.shape(), y.shape());
        INDArray dy = Nd4j.randn(DataType.DOUBLE, y.shape()).castTo(DataType.FLOAT);
        Pair<Gradient, INDArray> g = ours.backpropGradient(dy, NO_WS);
        Pair<Gradient, INDArray> gRef = ref.backpropGradient(dy.castTo(DataType.DOUBLE), NO_WS);
        assertClose(yRef, y, "output");
        assertClose(gRef.getSecond(), g.getSecond(), "dx");
        assertClose(gRef.getFirst().getGradientFor("W"), g.getFirst().getGradientFor("W"), "dW");
        if (bias) {
            assertClose(gRef.getFirst().getGradientFor("b"), g.getFirst().getGradientFor("b"), "db");
        } else {
            assertNull(g.getFirst().getGradientFor("b"));
        }
        // the gradients are the layer's gradient views, which DL4J's updater reads
        assertEquals(ours.getGradientsViewArray().length(), ours.numParams());
        INDArray viewW = ours.getGradientsViewArray().reshape(new long[] {ours.numParams()})
                .get(org.nd4j.linalg.indexing.NDArrayIndex.interval(bias ? nOut : 0, ours.numParams()));
        assertArrayEquals(g.getFirst().getGradientFor("W").dup('c').data().asFloat(), viewW.dup().data().asFloat());
        return new INDArray[] {y, g.getSecond().dup(), g.getFirst().getGradientFor("W").dup()};
    }

    /**
     * All plans of a thread share its buffers in oneDNN's formats, the weights' and their gradient's among them.
     * A layer whose formats pad its 12 channels to 16 matches DL4J's; run again after another layer left NaN in
     * those buffers (16 channels, no padding, NaN input and weights), and
     * again after the thread's buffers were freed and made anew, it gives the same values bit for bit.
     */
    @Test
    void layersSharingTheThreadsBuffersDoNotSeeEachOthersData() {
        assumeTrue(ConvKernels.unavailableReason() == null, "oneDNN convolution not built here");
        long[] shape = {32, 12, 16, 16};
        check3x3AgainstDl4j(shape, 12, false);
        Layer padded = conv3x3(shape, 12, false);
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.randn(DataType.FLOAT, shape);
        INDArray dy = Nd4j.randn(DataType.FLOAT, shape);
        float[][] first = passes(padded, x, dy);

        long[] poisonShape = {32, 16, 16, 16};
        Layer poison = conv3x3(poisonShape, 16, false);
        INDArray nan = Nd4j.valueArrayOf(poisonShape, Float.NaN, DataType.FLOAT);
        poison.setParams(Nd4j.valueArrayOf(poison.params().shape(), Float.NaN, DataType.FLOAT));
        float[][] poisoned = passes(poison, nan, nan);
        assertTrue(Float.isNaN(poisoned[0][0]) && Float.isNaN(poisoned[1][0]) && Float.isNaN(poisoned[2][0]),
                "NaN in, NaN out");

        float[][] afterPoison = passes(padded, x, dy);
        ConvKernels.releaseThreadBuffers();
        float[][] afresh = passes(padded, x, dy);
        for (int i = 0; i < first.length; i++) {
            assertArrayEquals(first[i], afterPoison[i], "after another layer's NaN, result " + i);
            assertArrayEquals(first[i], afresh[i], "with new buffers, result " + i);
        }
    }

    /** y, dx and dW of one forward and backward pass. */
    private static float[][] passes(Layer l, INDArray x, INDArray dy) {
        l.setInput(x, NO_WS);
        float[] y = l.activate(true, NO_WS).dup().data().asFloat();
        Pair<Gradient, INDArray> g = l.backpropGradient(dy, NO_WS);
        return new float[][] {y, g.getSecond().dup().data().asFloat(),
                g.getFirst().getGradientFor("W").dup('c').data().asFloat()};
    }

    /** Within float32 rounding: every value within 2e-5 of the largest magnitude of the double result. */
    private static void assertClose(INDArray want, INDArray got, String what) {
        double[] w = want.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] gv = got.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        assertEquals(w.length, gv.length, what);
        double scale = 0;
        for (double v : w) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < w.length; i++) {
            if (!(Math.abs(w[i] - gv[i]) <= 2e-5 * scale)) {
                throw new AssertionError(what + " differs at " + i + ": DL4J (double) " + w[i] + ", gnsweep " + gv[i]
                        + " (scale " + scale + ")");
            }
        }
    }

    @Test
    void withThePathOffOrInDoubleItIsDl4jsCodeBitForBit() {
        long[] shape = {2, 3, 9, 9};
        int[] k = {3, 3};
        int[] s = {2, 2};
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            System.setProperty(ConvKernels.PROPERTY, type == DataType.FLOAT ? "false" : "true");
            Layer ours = layer(configure(new Conv2D.Builder(k), k, s, new int[] {1, 1}, ConvolutionMode.Truncate, 4,
                    true).build(), type, shape);
            Layer dl4j = layer(configure(new ConvolutionLayer.Builder(k), k, s, new int[] {1, 1},
                    ConvolutionMode.Truncate, 4, true).build(), type, shape);
            dl4j.setParams(ours.params().dup());
            INDArray x = Nd4j.rand(type, shape);
            ours.setInput(x, NO_WS);
            dl4j.setInput(x, NO_WS);
            assertNull(((Conv2DLayer) ours).fusedDims(x), "DL4J's path runs for " + type);
            INDArray y = ours.activate(true, NO_WS).dup();
            assertArrayEquals(dl4j.activate(true, NO_WS).dup().data().asDouble(), y.data().asDouble(), 0.0);
            INDArray dy = Nd4j.rand(type, y.shape());
            assertArrayEquals(dl4j.backpropGradient(dy, NO_WS).getSecond().dup().data().asDouble(),
                    ours.backpropGradient(dy, NO_WS).getSecond().dup().data().asDouble(), 0.0);
        }
    }

    @Test
    void eachBatchSizeGetsItsOwnPlanAndARepeatGivesTheSameValues() {
        assumeTrue(ConvKernels.unavailableReason() == null, "oneDNN convolution not built here");
        Layer ours = conv3x3(new long[] {2, 3, 6, 6}, 4, true);
        INDArray a = Nd4j.rand(DataType.FLOAT, 2, 3, 6, 6);
        INDArray b = Nd4j.rand(DataType.FLOAT, 3, 3, 6, 6);
        ours.setInput(a, NO_WS);
        INDArray ya = ours.activate(true, NO_WS).dup();
        ours.setInput(b, NO_WS);
        INDArray yb = ours.activate(true, NO_WS).dup();
        assertArrayEquals(new long[] {3, 4, 6, 6}, yb.shape());
        ours.setInput(a, NO_WS);
        assertArrayEquals(ya.data().asFloat(), ours.activate(true, NO_WS).dup().data().asFloat());
        String impl = ((Conv2DLayer) ours).implementation(a);
        assertNotNull(impl);
        System.out.println("oneDNN convolution implementation here: " + impl);
    }

    @Test
    void itsConfigRoundTripsThroughJson() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new Conv2D.Builder(3, 3).stride(2, 2).padding(1, 1).nOut(5).hasBias(false).name("c").build())
                .setInputType(InputType.convolutional(8, 8, 2)).build();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        assertInstanceOf(Conv2D.class, back.getConf(0).getLayer());
        MultiLayerNetwork net = new MultiLayerNetwork(back);
        net.init();
        assertInstanceOf(Conv2DLayer.class, net.getLayer(0));
        assertEquals(5 * 2 * 9, net.numParams());
    }
}
