package io.gnsweep.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.runtime.NativeSetup;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;

/** Forward values, float32 stability, serialisation and validation of the GroupNorm layer. */
class GroupNormalizationTest {

    @BeforeAll
    static void setUp() {
        NativeSetup.init();
    }

    /** A network holding only the GroupNorm layer, with random γ and β. */
    static MultiLayerNetwork single(int c, int h, int w, int g, DataType type, long seed) {
        InputType in = h > 0 ? InputType.convolutional(h, w, c) : InputType.feedForward(c);
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(type).seed(seed).list()
                .layer(new GroupNormalization.Builder().groups(g).eps(1e-5).build())
                .setInputType(in).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Random r = new Random(seed);
        net.getLayer(0).setParam("gamma", Nd4j.create(randoms(r, c, 0.5, 1.5)).castTo(type).reshape(c));
        net.getLayer(0).setParam("beta", Nd4j.create(randoms(r, c, -1, 1)).castTo(type).reshape(c));
        return net;
    }

    static double[] randoms(Random r, int len, double lo, double hi) {
        double[] v = new double[len];
        for (int i = 0; i < len; i++) {
            v[i] = lo + (hi - lo) * r.nextDouble();
        }
        return v;
    }

    @ParameterizedTest(name = "N={0} C={1} H={2} W={3} G={4}")
    @CsvSource({
        "2, 8, 3, 5, 4",    // H != W
        "1, 6, 4, 4, 1",    // N = 1, G = 1 (LayerNorm)
        "3, 6, 2, 3, 6",    // G = C (InstanceNorm)
        "2, 12, 5, 3, 3",
        "4, 8, 0, 0, 2",    // dense input [N, C]
        "2, 16, 7, 7, 16",
    })
    void forwardMatchesDoublePrecisionReference(int n, int c, int h, int w, int g) {
        MultiLayerNetwork net = single(c, h, w, g, DataType.DOUBLE, 42);
        int s = h > 0 ? h * w : 1;
        Random r = new Random(7);
        double[] x = new double[n * c * s];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian() * 3 + 2;
        }
        long[] shape = h > 0 ? new long[] {n, c, h, w} : new long[] {n, c};
        INDArray out = net.output(Nd4j.create(x, shape, 'c'));
        double[] gamma = net.getLayer(0).getParam("gamma").toDoubleVector();
        double[] beta = net.getLayer(0).getParam("beta").toDoubleVector();
        double[] expected = GroupNormReference.forward(x, n, c, s, g, gamma, beta, 1e-5);
        assertArrayEquals(expected, out.dup('c').data().asDouble(), 1e-10);
        // training mode computes the same thing: no running statistics
        INDArray train = net.feedForwardToLayer(0, Nd4j.create(x, shape, 'c'), true).get(1);
        assertArrayEquals(expected, train.dup('c').data().asDouble(), 1e-10);
    }

    /** The shapes of the layout grid: N = 1, C = G, G = 1, H or W = 1, [N, C, 1, 1] as after global pooling,
     * odd sizes, dense [N, C]; each in every {@link Layouts} layout. */
    static Stream<Arguments> layoutGrid() {
        int[][] shapes = {
            {2, 12, 1, 1, 3}, {1, 12, 1, 1, 4}, {1, 6, 4, 4, 1}, {3, 6, 5, 7, 3}, {3, 6, 5, 7, 6},
            {2, 8, 1, 5, 2}, {2, 8, 5, 1, 4}, {2, 4, 3, 3, 1}, {4, 8, 0, 0, 2}, {1, 8, 0, 0, 8},
        };
        List<Arguments> out = new ArrayList<>();
        for (int[] sh : shapes) {
            for (Layouts layout : Layouts.values()) {
                out.add(Arguments.of(sh[0], sh[1], sh[2], sh[3], sh[4], layout));
            }
        }
        return out.stream();
    }

    /**
     * Forward (training and inference), backward after it and backward alone, on input and output gradient in
     * each layout ND4J may hand the layer, against the double reference; the input is left as it was.
     */
    @ParameterizedTest(name = "[{0},{1},{2},{3}] G={4} {5}")
    @MethodSource("layoutGrid")
    void everyInputLayoutMatchesTheReference(int n, int c, int h, int w, int g, Layouts layout) {
        MultiLayerNetwork net = single(c, h, w, g, DataType.DOUBLE, 23);
        net.initGradientsView();
        int s = h > 0 ? h * w : 1;
        long[] shape = h > 0 ? new long[] {n, c, h, w} : new long[] {n, c};
        Random r = new Random(31L * n + 7L * c + s + g);
        double[] xs = randoms(r, n * c * s, -2, 5);
        double[] dys = randoms(r, n * c * s, -1, 1);
        INDArray x = layout.make(xs, shape, DataType.DOUBLE);
        INDArray dy = layout.make(dys, shape, DataType.DOUBLE);
        double[] gamma = net.getLayer(0).getParam("gamma").toDoubleVector();
        double[] beta = net.getLayer(0).getParam("beta").toDoubleVector();
        double[] expected = GroupNormReference.forward(xs, n, c, s, g, gamma, beta, 1e-5);
        double[][] grads = GroupNormReference.backward(xs, dys, n, c, s, g, gamma, 1e-5);

        org.deeplearning4j.nn.api.Layer layer = net.getLayer(0);
        for (boolean forwardFirst : new boolean[] {true, false}) {
            layer.clear();
            layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
            if (forwardFirst) {
                assertValues(expected, shape, layer.activate(true, LayerWorkspaceMgr.noWorkspaces()), "y");
            }
            INDArray dx = layer.backpropGradient(dy, LayerWorkspaceMgr.noWorkspaces()).getSecond();
            String what = forwardFirst ? " after forward" : " alone";
            assertValues(grads[0], shape, dx, "dx" + what);
            INDArray view = layer.getGradientsViewArray();
            assertValues(grads[1], new long[] {c}, view.get(NDArrayIndex.interval(0, c)), "dγ" + what);
            assertValues(grads[2], new long[] {c}, view.get(NDArrayIndex.interval(c, 2 * c)), "dβ" + what);
        }
        layer.clear();
        layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
        assertValues(expected, shape, layer.activate(false, LayerWorkspaceMgr.noWorkspaces()), "y (inference)");
        assertValues(xs, shape, x, "the input, afterwards");
        assertValues(dys, shape, dy, "the output gradient, afterwards");
    }

    /** got has this shape and, read in C order, these values (within 1e-10 of max(1, |value|)). */
    private static void assertValues(double[] expected, long[] shape, INDArray got, String what) {
        assertArrayEquals(shape, got.shape(), what + ": shape");
        double[] v = got.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], v[i], 1e-10 * Math.max(1, Math.abs(expected[i])), what + " at " + i);
        }
    }

    /**
     * Global average pooling that keeps [N, C, 1, 1] then GroupNorm and ReLU, in a network: the GroupNorm output
     * matches the reference on the pooled activations, and a few SGD steps lower the loss.
     */
    @Test
    void trainsAfterGlobalPooling() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .seed(4).updater(new org.nd4j.linalg.learning.config.Sgd(0.05)).list()
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(12).build())
                .layer(new org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer.Builder(
                        org.deeplearning4j.nn.conf.layers.PoolingType.AVG).collapseDimensions(false).build())
                .layer(new GroupNormalization.Builder().groups(3).build())
                .layer(new Relu.Builder().build())
                .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().nOut(3)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(6, 6, 2)).build());
        net.init();
        Random r = new Random(12);
        INDArray x = Nd4j.create(randoms(r, 4 * 2 * 36, -1, 2), new long[] {4, 2, 6, 6}, 'c');
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 4, 3);
        for (int i = 0; i < 4; i++) {
            labels.putScalar(i, i % 3, 1.0);
        }
        List<INDArray> acts = net.feedForwardToLayer(2, x, false);
        INDArray pooled = acts.get(2);
        assertArrayEquals(new long[] {4, 12, 1, 1}, pooled.shape());
        double[] expected = GroupNormReference.forward(pooled.dup('c').data().asDouble(), 4, 12, 1, 3,
                net.getLayer(2).getParam("gamma").toDoubleVector(), net.getLayer(2).getParam("beta").toDoubleVector(),
                1e-5);
        assertValues(expected, new long[] {4, 12, 1, 1}, acts.get(3), "GroupNorm after global pooling");
        org.nd4j.linalg.dataset.DataSet data = new org.nd4j.linalg.dataset.DataSet(x, labels);
        double before = net.score(data);
        for (int i = 0; i < 20; i++) {
            net.fit(data);
        }
        double after = net.score(data);
        assertTrue(after < before - 0.01, "loss " + before + " -> " + after);
    }

    @Test
    void float32WithLargeMeanStillNormalises() {
        int n = 2, c = 8, h = 16, w = 16, g = 2;
        MultiLayerNetwork net = single(c, h, w, g, DataType.FLOAT, 3);
        Random r = new Random(11);
        float[] x = new float[n * c * h * w];
        double[] xd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (1e4 + r.nextGaussian());
            xd[i] = x[i];
        }
        INDArray out = net.output(Nd4j.create(x, new long[] {n, c, h, w}, 'c'));
        double[] gamma = net.getLayer(0).getParam("gamma").toDoubleVector();
        double[] beta = net.getLayer(0).getParam("beta").toDoubleVector();
        double[] expected = GroupNormReference.forward(xd, n, c, h * w, g, gamma, beta, 1e-5);
        // E[x²] − E[x]² in float32 would be off by O(10) here (x² ~ 1e8, float eps ~ 6e-8); even the mean of
        // 4096 float values near 1e4 carries ~1e-2 of rounding error unless it is re-centred.
        double[] got = out.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - expected[i]));
        }
        System.out.println("float32, mean 1e4: max |y - reference| = " + worst);
        assertArrayEquals(expected, got, 1e-5);
    }

    /**
     * Backprop in float32, inside a workspace as DL4J trains, against the same layer in float64 (whose
     * gradients {@link GroupNormGradientCheckTest} checks numerically), on input with mean 1e3 where naive
     * float32 statistics lose most digits. Both the cached-statistics path (forward then backward on the same
     * input) and the recomputing path (backward alone) are compared.
     */
    @Test
    void float32BackpropInAWorkspaceMatchesFloat64() {
        int n = 3, c = 12, h = 9, w = 7, g = 3;
        MultiLayerNetwork dbl = single(c, h, w, g, DataType.DOUBLE, 5);
        MultiLayerNetwork flt = single(c, h, w, g, DataType.FLOAT, 5);
        Random r = new Random(13);
        long[] shape = {n, c, h, w};
        float[] x = new float[n * c * h * w];
        float[] dy = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (1e3 + 0.5 * r.nextGaussian() + (i % 5));
            dy[i] = (float) r.nextGaussian();
        }
        INDArray xd = Nd4j.create(x, shape, 'c').castTo(DataType.DOUBLE);
        INDArray dyd = Nd4j.create(dy, shape, 'c').castTo(DataType.DOUBLE);
        dbl.initGradientsView();
        flt.initGradientsView();
        org.deeplearning4j.nn.api.Layer ld = dbl.getLayer(0);
        ld.setInput(xd, LayerWorkspaceMgr.noWorkspaces());
        ld.activate(true, LayerWorkspaceMgr.noWorkspaces());
        INDArray dxExpected = ld.backpropGradient(dyd, LayerWorkspaceMgr.noWorkspaces()).getSecond().dup();
        INDArray dGammaExpected = ld.getGradientsViewArray().get(NDArrayIndex.interval(0, c)).dup();
        INDArray dBetaExpected = ld.getGradientsViewArray().get(NDArrayIndex.interval(c, 2 * c)).dup();

        WorkspaceConfiguration wc = WorkspaceConfiguration.builder().policyLearning(LearningPolicy.FIRST_LOOP)
                .policyAllocation(AllocationPolicy.OVERALLOCATE).policySpill(SpillPolicy.REALLOCATE).build();
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.builder().defaultWorkspace("GN_TEST", wc).build();
        org.deeplearning4j.nn.api.Layer lf = flt.getLayer(0);
        for (boolean forwardFirst : new boolean[] {true, false, true}) {
            try (MemoryWorkspace ws = mgr.notifyScopeEntered(ArrayType.ACTIVATIONS)) {
                lf.setInput(Nd4j.create(x, shape, 'c'), mgr);
                if (forwardFirst) {
                    lf.activate(true, mgr);
                }
                INDArray dx = lf.backpropGradient(Nd4j.create(dy, shape, 'c'), mgr).getSecond();
                double dxErr = maxAbsDiff(dxExpected, dx);
                double gErr = maxAbsDiff(dGammaExpected, lf.getGradientsViewArray().get(NDArrayIndex.interval(0, c)));
                double bErr = maxAbsDiff(dBetaExpected, lf.getGradientsViewArray().get(NDArrayIndex.interval(c, 2 * c)));
                System.out.printf("float32 backprop, mean 1e3, forward first %s: max |dx - f64| = %.2e (|dx| max %.2f),"
                        + " dγ %.2e, dβ %.2e%n", forwardFirst, dxErr, dxExpected.amaxNumber().doubleValue(), gErr, bErr);
                // float32 rounding (6e-8 relative) on O(1) values summed over 189 per channel
                assertTrue(dxErr < 1e-5, "dx off by " + dxErr);
                assertTrue(gErr < 1e-4, "dγ off by " + gErr);
                assertTrue(bErr < 1e-4, "dβ off by " + bErr);
            }
        }
    }

    /**
     * float32 with the first value of each group (the shift) a lone outlier, 128 standard deviations from
     * the mean of 16,384 values: a variance taken as E[z²] − E[z]² of the shifted values cancels here; the
     * layer's two-pass variance stays within float32 summation error of the float64 reference.
     */
    @Test
    void float32WithAnOutlierFirstValueStillNormalises() {
        int n = 2, c = 16, h = 32, w = 32, g = 1;
        MultiLayerNetwork net = single(c, h, w, g, DataType.FLOAT, 9);
        Random r = new Random(21);
        int m = c * h * w;
        float[] x = new float[n * m];
        double[] xd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (100 + r.nextGaussian());
            if (i % m == 0) {
                x[i] = 100 + 1e4f; // the group's first value
            }
            xd[i] = x[i];
        }
        INDArray out = net.output(Nd4j.create(x, new long[] {n, c, h, w}, 'c'));
        double[] expected = GroupNormReference.forward(xd, n, c, h * w, g,
                net.getLayer(0).getParam("gamma").toDoubleVector(), net.getLayer(0).getParam("beta").toDoubleVector(), 1e-5);
        double[] got = out.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double worst = 0;
        double largest = 0;
        for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - expected[i]));
            largest = Math.max(largest, Math.abs(expected[i]));
        }
        double relative = worst / largest; // the outlier's own y is ~128
        System.out.printf("float32, outlier first value: max |y - reference| = %.2e, %.2e of max |y|%n", worst, relative);
        // float32 sums of M values carry ~sqrt(M)·eps relative error: 4·128·1.19e-7 = 6.1e-5; the one-pass
        // variance E[z²] − E[z]² of these shifted values is off by ~5e-4
        assertTrue(relative < 4 * Math.sqrt(m) * Math.ulp(1.0f), "max |y - reference| / max |y| = " + relative);
    }

    /**
     * The same two-GroupNorm network's gradients with DL4J's training workspaces on and off, over two
     * iterations: the statistics the layer keeps from the forward pass for backprop must not live in (or be
     * overwritten through) a workspace that fit() recycles between them.
     */
    @Test
    void gradientsAreTheSameWithAndWithoutWorkspaces() {
        INDArray[] grads = new INDArray[2];
        Random r = new Random(3);
        INDArray x = Nd4j.create(randoms(r, 4 * 3 * 8 * 8, -1, 3), new long[] {4, 3, 8, 8}, 'c').castTo(DataType.FLOAT);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 4, 5);
        for (int i = 0; i < 4; i++) {
            y.putScalar(i, i % 5, 1.0);
        }
        int k = 0;
        for (org.deeplearning4j.nn.conf.WorkspaceMode mode : new org.deeplearning4j.nn.conf.WorkspaceMode[] {
                org.deeplearning4j.nn.conf.WorkspaceMode.ENABLED, org.deeplearning4j.nn.conf.WorkspaceMode.NONE}) {
            MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                    .seed(17).trainingWorkspaceMode(mode).inferenceWorkspaceMode(mode)
                    .updater(new org.nd4j.linalg.learning.config.Sgd(0.1)).list()
                    .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(8).build())
                    .layer(new GroupNormalization.Builder().groups(4).build())
                    .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(8).build())
                    .layer(new GroupNormalization.Builder().groups(2).build())
                    .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().nOut(5)
                            .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
                    .setInputType(InputType.convolutional(8, 8, 3)).build());
            net.init();
            net.fit(x, y); // one step, so the second gradient comes from recycled workspace memory
            net.setInput(x);
            net.setLabels(y);
            net.computeGradientAndScore();
            grads[k++] = net.gradient().gradient().dup();
            // equal gradients prove nothing if the GroupNorm layers' own are zero in both modes
            for (String param : new String[] {"1_gamma", "1_beta", "3_gamma", "3_beta"}) {
                assertTrue(net.gradient().getGradientFor(param).norm2Number().doubleValue() > 1e-6, param + " is 0");
            }
        }
        // conv 3·3·3·8 + 8, GN 2·8, conv 3·3·8·8 + 8, GN 2·8, output 4·4·8·5 + 5: every parameter's gradient
        assertEquals(224 + 16 + 584 + 16 + 645, grads[0].length());
        assertArrayEquals(grads[1].data().asDouble(), grads[0].data().asDouble(), 1e-6);
    }

    private static double maxAbsDiff(INDArray expected, INDArray got) {
        return Transforms.abs(expected.castTo(DataType.DOUBLE).reshape(expected.length())
                .sub(got.castTo(DataType.DOUBLE).reshape(got.length())), false).maxNumber().doubleValue();
    }

    @Test
    void groupsThatDoNotDivideChannelsAreRefusedAtBuildTime() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new NeuralNetConfiguration.Builder().list()
                        .layer(new GroupNormalization.Builder().groups(4).name("gn1").build())
                        .setInputType(InputType.convolutional(4, 4, 6)).build());
        assertTrue(e.getMessage().contains("\"gn1\""), e.getMessage());
        assertTrue(e.getMessage().contains("C = 6"), e.getMessage());
        assertTrue(e.getMessage().contains("G = 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GroupNormalization.Builder().groups(0).build());
        assertThrows(IllegalArgumentException.class, () -> new GroupNormalization.Builder().nIn(10).groups(4).build());
    }

    /**
     * L1, L2, weight decay (for weights or biases) and weight noise reach a GroupNorm layer from its own builder
     * or from NeuralNetConfiguration.Builder; γ and β must never be regularised, so each is refused when the
     * network is built (and when a configuration without input types is initialised), naming layer and setting.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "layer l2, l2 = 1.0E-4",
        "layer l1, l1 = 0.001",
        "layer weightDecay, weightDecay = 5.0E-4",
        "layer l2Bias, l2Bias = 1.0E-4",
        "global l2, l2 = 1.0E-4",
        "global weightDecay, weightDecay = 5.0E-4",
        "global weightDecayBias, weightDecayBias = 5.0E-4",
        "global weightNoise, weightNoise",
    })
    void regularisationIsRefusedNamingTheLayerAndTheSetting(String setting, String named) {
        NeuralNetConfiguration.Builder global = new NeuralNetConfiguration.Builder();
        GroupNormalization.Builder gn = new GroupNormalization.Builder().groups(2).name("gn1");
        switch (setting) {
            case "layer l2" -> gn.l2(1e-4);
            case "layer l1" -> gn.l1(1e-3);
            case "layer weightDecay" -> gn.weightDecay(5e-4);
            case "layer l2Bias" -> gn.l2Bias(1e-4);
            case "global l2" -> global.l2(1e-4);
            case "global weightDecay" -> global.weightDecay(5e-4);
            case "global weightDecayBias" -> global.weightDecayBias(5e-4);
            case "global weightNoise" -> global.weightNoise(new org.deeplearning4j.nn.conf.weightnoise.DropConnect(0.5));
            default -> throw new AssertionError(setting);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> global.clone().list()
                .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(1, 1).nOut(4).build())
                .layer(gn.build()).setInputType(InputType.convolutional(3, 3, 2)).build());
        for (String part : new String[] {"GroupNormalization layer \"gn1\" (index 1)", named}) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
        }
        // no input types: nothing checks the layer until the network is initialised
        MultiLayerConfiguration unchecked = global.clone().list().layer(gn.build()).build();
        unchecked.getConf(0).getLayer().setLayerName("gn1");
        ((GroupNormalization) unchecked.getConf(0).getLayer()).setNIn(4);
        ((GroupNormalization) unchecked.getConf(0).getLayer()).setNOut(4);
        e = assertThrows(IllegalArgumentException.class, () -> new MultiLayerNetwork(unchecked).init());
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    /**
     * The project's way: L2 on the convolution's weights only. It builds, the convolution's W is decayed and
     * GroupNorm's γ and β are not: one SGD step with a zero loss gradient leaves them exactly as they were.
     */
    @Test
    void weightDecayOnTheConvolutionLeavesGammaAndBetaAlone() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .seed(2).updater(new org.nd4j.linalg.learning.config.Sgd(0.5)).graphBuilder().addInputs("in")
                .addLayer("conv", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(1, 1).nOut(4)
                        .weightDecay(0.1).build(), "in")
                .addLayer("gn", new GroupNormalization.Builder().groups(2).build(), "conv")
                .setOutputs("gn").setInputTypes(InputType.convolutional(3, 3, 2)).build());
        graph.init();
        graph.getLayer("gn").setParam("gamma", Nd4j.create(new double[] {0.5, 1.5, 2, 3}));
        graph.getLayer("gn").setParam("beta", Nd4j.create(new double[] {-1, 1, 2, -2}));
        INDArray params = graph.getLayer("gn").params().dup();
        INDArray w = graph.getLayer("conv").getParam("W").dup();
        assertTrue(graph.getLayer("conv").conf().getLayer().getRegularizationByParam("W") != null);
        assertEquals(null, graph.getLayer("gn").conf().getLayer().getRegularizationByParam("gamma"));
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 2, 3, 3);
        graph.feedForward(new INDArray[] {x}, true, false);
        graph.backpropGradient(Nd4j.zeros(DataType.DOUBLE, 2, 4, 3, 3)); // zero loss gradient: only decay moves
        graph.getUpdater().update(graph.gradient(), 0, 0, 2, LayerWorkspaceMgr.noWorkspaces());
        graph.params().subi(graph.gradient().gradient());
        assertEquals(params, graph.getLayer("gn").params(), "γ and β must not be decayed");
        assertArrayEquals(w.mul(1 - 0.5 * 0.1).data().asDouble(), graph.getLayer("conv").getParam("W").data().asDouble(),
                1e-12, "W decays by lr·λ");
    }

    /**
     * Dropout, set on the layer or for the whole network, is applied to the layer's input in training (DL4J's
     * dense and convolution layers' semantics) and backpropagated: y and dx are those of the reference on the
     * dropped input, dx zero where a value was dropped; inference is untouched.
     */
    @ParameterizedTest(name = "dropout set {0}")
    @CsvSource({"on the layer", "for the network"})
    void dropoutIsAppliedToTheInputInTraining(String where) {
        int n = 4, c = 6, h = 5, w = 5, g = 3, s = h * w;
        NeuralNetConfiguration.Builder global = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(8);
        GroupNormalization.Builder gn = new GroupNormalization.Builder().groups(g);
        if (where.equals("on the layer")) {
            gn.dropOut(0.5);
        } else {
            global.dropOut(0.5);
        }
        MultiLayerNetwork net = new MultiLayerNetwork(global.list().layer(gn.build())
                .setInputType(InputType.convolutional(h, w, c)).build());
        net.init();
        net.initGradientsView();
        Random r = new Random(19);
        double[] xs = randoms(r, n * c * s, 0.5, 3); // no exact zeros: a zero in the dropped input is a dropped value
        double[] dys = randoms(r, n * c * s, -1, 1);
        long[] shape = {n, c, h, w};
        org.deeplearning4j.nn.api.Layer layer = net.getLayer(0);
        layer.setInput(Nd4j.create(xs, shape, 'c'), LayerWorkspaceMgr.noWorkspaces());
        INDArray y = layer.activate(true, LayerWorkspaceMgr.noWorkspaces()).dup();
        double[] dropped = layer.input().dup('c').data().asDouble();
        INDArray dx = layer.backpropGradient(Nd4j.create(dys, shape, 'c'), LayerWorkspaceMgr.noWorkspaces()).getSecond();
        int zeros = 0;
        for (int i = 0; i < xs.length; i++) {
            if (dropped[i] == 0) {
                zeros++;
            } else {
                assertEquals(2 * xs[i], dropped[i], 1e-12, "a kept value is scaled by 1/p = 2, at " + i);
            }
        }
        assertTrue(zeros > 200 && zeros < 400, zeros + " of 600 dropped"); // 300 ± 12 (1 sd)
        double[] gamma = layer.getParam("gamma").toDoubleVector();
        double[] beta = layer.getParam("beta").toDoubleVector();
        assertValues(GroupNormReference.forward(dropped, n, c, s, g, gamma, beta, 1e-5), shape, y, "y in training");
        double[] expectedDx = GroupNormReference.backward(dropped, dys, n, c, s, g, gamma, 1e-5)[0];
        for (int i = 0; i < xs.length; i++) {
            expectedDx[i] *= dropped[i] == 0 ? 0 : 2;
        }
        assertValues(expectedDx, shape, dx, "dx");
        layer.setInput(Nd4j.create(xs, shape, 'c'), LayerWorkspaceMgr.noWorkspaces());
        assertValues(GroupNormReference.forward(xs, n, c, s, g, gamma, beta, 1e-5), shape,
                layer.activate(false, LayerWorkspaceMgr.noWorkspaces()), "y in inference");
    }

    @Test
    void configurationSurvivesJsonRoundTrip() {
        MultiLayerNetwork net = single(8, 3, 3, 4, DataType.FLOAT, 5);
        String json = net.getLayerWiseConfigurations().toJson();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        GroupNormalization layer = assertInstanceOf(GroupNormalization.class, back.getConf(0).getLayer());
        assertEquals(4, layer.getGroups());
        assertEquals(1e-5, layer.getEps());
        assertEquals(8, layer.getNOut());
        assertEquals(net.getLayerWiseConfigurations().getConf(0).getLayer(), layer);
        assertEquals(json, back.toJson());
        GroupNormalization other = new GroupNormalization.Builder().groups(2).nIn(8).build();
        assertNotEquals(layer, other);
    }

    @Test
    void modelSerializerRestoresIdenticalOutputs(@TempDir File dir) throws Exception {
        MultiLayerNetwork net = single(8, 4, 4, 2, DataType.FLOAT, 9);
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 8, 4, 4);
        File file = new File(dir, "gn.zip");
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file);
        assertEquals(net.params(), restored.params());
        assertEquals(net.output(x), restored.output(x));
    }

    @Test
    void worksInAComputationGraph() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .graphBuilder().addInputs("in")
                .addLayer("gn", new GroupNormalization.Builder().groups(3).build(), "in")
                .setOutputs("gn").setInputTypes(InputType.convolutional(2, 2, 6)).build());
        graph.init();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 6, 2, 2);
        INDArray y = graph.outputSingle(x);
        double[] expected = GroupNormReference.forward(x.dup('c').data().asDouble(), 2, 6, 4, 3,
                new double[] {1, 1, 1, 1, 1, 1}, new double[6], 1e-5);
        assertArrayEquals(expected, y.dup('c').data().asDouble(), 1e-10);
        assertEquals(12, graph.numParams());
    }
}
