package io.gnsweep.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.runtime.NativeSetup;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * gnsweep's BatchNorm against DL4J's own BatchNormalization layer, built from the same configuration and
 * parameters: training output, inference output (random running statistics), dL/dx, dγ, dβ and the running
 * statistics' gradients, on a grid of shapes and memory layouts, float and double, useLogStd on and off; the
 * running statistics and every parameter after several {@code fit} steps; JSON, ModelSerializer.
 *
 * <p>The reference is always DL4J's layer in double precision (its built-in ND4J code), on the same values: a
 * float case's inputs, parameters and labels are float32 values, which double holds exactly. The largest
 * differences are printed.
 */
class BatchNormTest {
    /** Differences as a fraction of max(1, |value|), double. */
    static final double TOL_DOUBLE = 1e-11;
    /**
     * Float32, fused kernels: they compute in double and round each result once (and fit's float32 updates
     * round again each step). The ND4J path is DL4J's own float32 code (its oneDNN helper): float32 sums over
     * M values, and, for [1, C] input (σ² = 0, 1/sqrt(eps) ≈ 316), dx as the difference of terms of ~300.
     */
    static final double TOL_FLOAT_FUSED = 1e-6;
    static final double TOL_FLOAT_DL4J = 5e-5;

    private static final List<String> report = new ArrayList<>();

    @BeforeAll
    static void setUp() {
        NativeSetup.init();
    }

    @AfterAll
    static void printLargestDifferences() {
        report.stream().sorted().forEach(System.out::println);
    }

    /** [norm, MSE output] with this norm configuration; SGD so that fit moves γ, β and the output weights too. */
    static MultiLayerNetwork net(org.deeplearning4j.nn.conf.layers.Layer norm, int c, int h, int w, DataType type) {
        InputType in = h > 0 ? InputType.convolutional(h, w, c) : InputType.feedForward(c);
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(type).seed(3)
                .updater(new Sgd(0.05)).list()
                .layer(norm)
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3).activation(Activation.IDENTITY)
                        .build())
                .setInputType(in).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.initGradientsView();
        return net;
    }

    /**
     * DL4J's network (double) with random γ, β and running statistics, and ours (type) with the same parameter
     * values: every value of the reference is one of type.
     */
    static MultiLayerNetwork[] pair(int c, int h, int w, DataType type, boolean logStd, long seed) {
        MultiLayerNetwork theirs = net(new BatchNormalization.Builder().useLogStd(logStd).build(), c, h, w,
                DataType.DOUBLE);
        MultiLayerNetwork ours = net(new BatchNorm.Builder().useLogStd(logStd).build(), c, h, w, type);
        assertInstanceOf(BatchNormLayer.class, ours.getLayer(0));
        assertEquals(org.deeplearning4j.nn.layers.normalization.BatchNormalization.class, theirs.getLayer(0).getClass());
        Random r = new Random(seed);
        Layer bn = theirs.getLayer(0);
        bn.setParam("gamma", Nd4j.create(randoms(r, c, 0.5, 1.5)).castTo(type).reshape(1, c));
        bn.setParam("beta", Nd4j.create(randoms(r, c, -1, 1)).castTo(type).reshape(1, c));
        bn.setParam("mean", Nd4j.create(randoms(r, c, -1, 2)).castTo(type).reshape(1, c));
        double[] var = randoms(r, c, 0.3, 4);
        if (logStd) {
            for (int i = 0; i < c; i++) {
                var[i] = Math.log10(Math.sqrt(var[i]));
            }
        }
        bn.setParam(logStd ? "log10stdev" : "var", Nd4j.create(var).castTo(type).reshape(1, c));
        theirs.setParams(theirs.params().castTo(type).castTo(DataType.DOUBLE));
        ours.setParams(theirs.params().castTo(type));
        return new MultiLayerNetwork[] {theirs, ours};
    }

    static double[] randoms(Random r, int len, double lo, double hi) {
        double[] v = new double[len];
        for (int i = 0; i < len; i++) {
            v[i] = lo + (hi - lo) * r.nextDouble();
        }
        return v;
    }

    /** Shapes [N, C, H, W] (H = 0: dense [N, C]): N = 1, H = W = 1, odd sizes, one above the kernels' thread threshold. */
    static final int[][] SHAPES = {
        {2, 6, 4, 4}, {1, 5, 3, 3}, {3, 4, 1, 1}, {2, 3, 5, 7}, {1, 7, 1, 6}, {4, 6, 0, 0}, {1, 4, 0, 0},
        {5, 3, 0, 0}, {8, 16, 24, 24},
    };

    static Stream<Arguments> grid() {
        List<Arguments> out = new ArrayList<>();
        for (int[] s : SHAPES) {
            for (Layouts layout : Layouts.values()) {
                out.add(Arguments.of(s[0], s[1], s[2], s[3], DataType.DOUBLE, true, layout));
            }
            for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                if (!(s[0] == 1 && s[2] == 0)) { // DL4J's reference throws there: see firstSampleOnlyDenseInput
                    out.add(Arguments.of(s[0], s[1], s[2], s[3], type, false, Layouts.FRESH));
                }
                if (type == DataType.FLOAT) {
                    out.add(Arguments.of(s[0], s[1], s[2], s[3], type, true, Layouts.FRESH));
                    out.add(Arguments.of(s[0], s[1], s[2], s[3], type, true, Layouts.PERMUTED));
                }
            }
        }
        return out.stream();
    }

    /**
     * Training forward, backward after it (dx; the gradient view: dγ, dβ, and zero for the running statistics; the
     * running statistics after it, which DL4J's layer leaves to its NoOp updater's step, taken here by hand), and
     * inference forward, on both layers; the input and output gradient are left as they were.
     */
    @ParameterizedTest(name = "[{0},{1},{2},{3}] {4} logStd={5} {6}")
    @MethodSource("grid")
    void matchesDl4jsLayer(int n, int c, int h, int w, DataType type, boolean logStd, Layouts layout) {
        MultiLayerNetwork[] nets = pair(c, h, w, type, logStd, 11L * n + c + h);
        long[] shape = h > 0 ? new long[] {n, c, h, w} : new long[] {n, c};
        Random r = new Random(31L * n + 7L * c + h + w);
        int len = (int) (shape.length == 4 ? (long) n * c * h * w : (long) n * c);
        double[] xs = randoms(r, len, -2, 5);
        double[] dys = randoms(r, len, -1, 1);
        INDArray x = layout.make(xs, shape, type);
        INDArray dy = layout.make(dys, shape, type);
        // DL4J's layer gets dense copies: the reference, not a test of DL4J's handling of views
        INDArray[] theirs = run(nets[0].getLayer(0), Layouts.FRESH.make(xs, shape, type).castTo(DataType.DOUBLE),
                Layouts.FRESH.make(dys, shape, type).castTo(DataType.DOUBLE), true);
        INDArray[] ours = run(nets[1].getLayer(0), x, dy, false);
        String[] what = {"y (training)", "dx", "gradients", "running statistics", "y (inference)"};
        String name = String.format(Locale.ROOT, "[%d,%d,%d,%d] %s logStd=%s %s", n, c, h, w, type, logStd, layout);
        for (int i = 0; i < what.length; i++) {
            assertClose(theirs[i], ours[i], type, what[i] + " " + name);
        }
        assertArrayEquals(xs, x.castTo(DataType.DOUBLE).dup('c').data().asDouble(), 1e-6, "input changed");
        assertArrayEquals(dys, dy.castTo(DataType.DOUBLE).dup('c').data().asDouble(), 1e-6, "gradient changed");
    }

    /**
     * Training forward on x, backward of dy, the running statistics, inference forward on x; outputs copied (the
     * layer reuses memory). noOpStep: take the step DL4J's NoOp updater takes on the running statistics in fit
     * (statistic −= its gradient; the gradient is then the update, spent), for DL4J's own layer.
     */
    private static INDArray[] run(Layer layer, INDArray x, INDArray dy, boolean noOpStep) {
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(x, mgr);
        INDArray y = layer.activate(true, mgr).dup('c');
        INDArray dx = layer.backpropGradient(dy, mgr).getSecond().dup('c');
        String stat = layer.paramTable().containsKey("var") ? "var" : "log10stdev";
        if (noOpStep) {
            for (String key : new String[] {"mean", stat}) {
                INDArray p = layer.getParam(key);
                long at = offset(layer, key);
                INDArray g = layer.getGradientsViewArray().reshape(-1).get(NDArrayIndex.interval(at, at + p.length()));
                p.subi(g.reshape(p.shape()));
                g.assign(0);
            }
        }
        INDArray grads = layer.getGradientsViewArray().dup('c');
        INDArray stats = Nd4j.concat(1, layer.getParam("mean").reshape(1, -1), layer.getParam(stat).reshape(1, -1))
                .dup('c');
        layer.setInput(x, mgr);
        INDArray yInf = layer.activate(false, mgr).dup('c');
        return new INDArray[] {y, dx, grads, stats, yInf};
    }

    /** Where a parameter's values start in the layer's flattened parameters (and gradients). */
    private static long offset(Layer layer, String key) {
        long at = 0;
        for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
            if (e.getKey().equals(key)) {
                return at;
            }
            at += e.getValue().length();
        }
        throw new IllegalArgumentException(key);
    }

    /** Within TOL of max(1, |expected|) element by element; records the largest difference. */
    static void assertClose(INDArray expected, INDArray got, DataType type, String what) {
        assertArrayEquals(expected.shape(), got.shape(), what + ": shape");
        double[] e = expected.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] g = got.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double tol = type == DataType.DOUBLE ? TOL_DOUBLE : NativeKernels.use(type) ? TOL_FLOAT_FUSED : TOL_FLOAT_DL4J;
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            double scale = Math.max(1, Math.abs(e[i]));
            assertEquals(e[i], g[i], tol * scale, what + " at " + i);
            worst = Math.max(worst, Math.abs(e[i] - g[i]) / scale);
        }
        String key = what.substring(0, what.indexOf(' ') < 0 ? what.length() : what.indexOf(' '));
        synchronized (report) {
            report.add(String.format(Locale.ROOT, "BatchNorm vs DL4J (%s, %s path): %-14s %.2e  %s", type,
                    NativeKernels.use(type) ? "fused" : "ND4J", key, worst, what));
        }
    }

    /**
     * Several fit steps of [norm, output] on the same batches: every parameter, the running mean and variance
     * (log10 std) included, and the inference output afterwards match DL4J's; the running statistics moved.
     */
    @ParameterizedTest(name = "{0} logStd={1} conv={2}")
    @CsvSource({"DOUBLE, true, true", "DOUBLE, false, true", "DOUBLE, true, false", "DOUBLE, false, false",
        "FLOAT, true, true", "FLOAT, false, true", "FLOAT, true, false", "FLOAT, false, false"})
    void runningStatisticsAfterFitStepsMatchDl4j(DataType type, boolean logStd, boolean conv) {
        int c = 5;
        int h = conv ? 3 : 0;
        int w = conv ? 4 : 0;
        MultiLayerNetwork[] nets = pair(c, h, w, type, logStd, 77);
        INDArray before = nets[1].getLayer(0).getParam("mean").dup();
        Random r = new Random(5);
        for (int step = 0; step < 6; step++) {
            long[] shape = conv ? new long[] {4, c, h, w} : new long[] {6, c};
            INDArray x = Nd4j.create(randoms(r, (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b),
                    -1, 3), shape, 'c').castTo(type);
            INDArray labels = Nd4j.create(randoms(r, (int) shape[0] * 3, -1, 1), new long[] {shape[0], 3}, 'c')
                    .castTo(type);
            nets[0].fit(x.castTo(DataType.DOUBLE), labels.castTo(DataType.DOUBLE));
            nets[1].fit(x, labels);
        }
        String name = type + " logStd=" + logStd + (conv ? " conv" : " dense");
        for (String key : new String[] {"gamma", "beta", "mean", logStd ? "log10stdev" : "var"}) {
            assertClose(nets[0].getLayer(0).getParam(key), nets[1].getLayer(0).getParam(key), type,
                    "after-fit:" + key + " " + name);
        }
        assertClose(nets[0].params(), nets[1].params(), type, "after-fit:all-params " + name);
        INDArray probe = Nd4j.rand(type, conv ? new long[] {3, c, h, w} : new long[] {3, c}).muli(3);
        assertClose(nets[0].output(probe.castTo(DataType.DOUBLE)), nets[1].output(probe), type,
                "after-fit:output " + name);
        INDArray after = nets[1].getLayer(0).getParam("mean");
        assertTrue(after.sub(before).castTo(DataType.DOUBLE).norm2Number().doubleValue() > 0.1,
                "the running mean should have moved: " + before + " -> " + after);
    }

    /**
     * Fit on both networks for a few steps: every parameter, the running statistics included, as DL4J's; and the
     * running statistics share the updater block of the rest, where DL4J's layer splits the network in three
     * (norm's γ and β, its running statistics' NoOp updater, the output layer).
     */
    @Test
    void fitMatchesDl4jInOneUpdaterBlock() {
        MultiLayerNetwork[] nets = pair(3, 4, 4, DataType.DOUBLE, true, 5);
        Random r = new Random(9);
        for (int step = 0; step < 4; step++) {
            INDArray x = Nd4j.create(randoms(r, 2 * 3 * 4 * 4, -2, 5), new long[] {2, 3, 4, 4}, 'c');
            INDArray y = Nd4j.create(randoms(r, 2 * 3, -1, 1), new long[] {2, 3}, 'c');
            nets[0].fit(x, y);
            nets[1].fit(x, y);
        }
        assertArrayEquals(nets[0].params().toDoubleVector(), nets[1].params().toDoubleVector(), 1e-12);
        assertNotEquals(0.0, nets[1].getLayer(0).getParam("mean").sumNumber().doubleValue());
        assertEquals(3, ((org.deeplearning4j.nn.updater.BaseMultiLayerUpdater<?>) nets[0].getUpdater())
                .getUpdaterBlocks().size());
        assertEquals(1, ((org.deeplearning4j.nn.updater.BaseMultiLayerUpdater<?>) nets[1].getUpdater())
                .getUpdaterBlocks().size());
    }

    /**
     * [1, C] input with useLogStd = false, where DL4J's built-in code fails (ND4J's variance over a dimension of
     * size 1 does not have the running variance's shape: "Op [subtract] execution failed"), so it cannot be the
     * reference: the values follow from the definition (σ² = 0, so x̂ = 0): y = β, dx = 0, dγ = 0, dβ = dy,
     * and the running statistics' step by the gradients (1 − decay)·(μ_run − x), (1 − decay)·σ²_run, their gradients
     * left zero. Fused kernels only.
     */
    @Test
    void firstSampleOnlyDenseInput() {
        org.junit.jupiter.api.Assumptions.assumeTrue(NativeKernels.use(DataType.DOUBLE), "DL4J's code fails here");
        MultiLayerNetwork net = pair(4, 0, 0, DataType.DOUBLE, false, 3)[1];
        Layer layer = net.getLayer(0);
        INDArray x = Nd4j.create(new double[][] {{0.5, -1, 2, 3}});
        INDArray dy = Nd4j.create(new double[][] {{0.25, -0.5, 1, 2}});
        double[] mean0 = layer.getParam("mean").toDoubleVector();
        double[] var0 = layer.getParam("var").toDoubleVector();
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(x, mgr);
        INDArray y = layer.activate(true, mgr).dup();
        INDArray dx = layer.backpropGradient(dy, mgr).getSecond();
        INDArray beta = layer.getParam("beta");
        assertArrayEquals(beta.toDoubleVector(), y.toDoubleVector(), 1e-15);
        assertArrayEquals(new double[4], dx.toDoubleVector(), 1e-15);
        INDArray grads = layer.getGradientsViewArray();
        double[] mean = mean0;
        double[] var = var0;
        double[] meanAfter = layer.getParam("mean").toDoubleVector();
        double[] varAfter = layer.getParam("var").toDoubleVector();
        for (int i = 0; i < 4; i++) {
            assertEquals(0, grads.getDouble(i), 1e-15, "dγ");
            assertEquals(dy.getDouble(i), grads.getDouble(4 + i), 1e-15, "dβ");
            assertEquals(0, grads.getDouble(8 + i), 0, "d mean (its step taken)");
            assertEquals(0, grads.getDouble(12 + i), 0, "d var (its step taken)");
            assertEquals(mean[i] - (1 - 0.9) * (mean[i] - x.getDouble(i)), meanAfter[i], 1e-15, "running mean");
            assertEquals(var[i] - (1 - 0.9) * var[i], varAfter[i], 1e-15, "running var");
        }
    }

    @Test
    void configurationSurvivesJsonRoundTrip() {
        MultiLayerNetwork net = net(new BatchNorm.Builder().decay(0.8).eps(1e-4).useLogStd(false).name("bn").build(),
                6, 3, 3, DataType.FLOAT);
        String json = net.getLayerWiseConfigurations().toJson();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        BatchNorm layer = assertInstanceOf(BatchNorm.class, back.getConf(0).getLayer());
        assertEquals(0.8, layer.getDecay());
        assertEquals(1e-4, layer.getEps());
        assertEquals(false, layer.isUseLogStd());
        assertEquals(6, layer.getNOut());
        assertEquals("bn", layer.getLayerName());
        assertEquals(net.getLayerWiseConfigurations().getConf(0).getLayer(), layer);
        assertEquals(json, back.toJson());
        // same settings, DL4J's class: not equal, either way round
        BatchNormalization dl4j = new BatchNormalization.Builder().decay(0.8).eps(1e-4).useLogStd(false).name("bn")
                .nIn(6).nOut(6).build();
        BatchNorm same = BatchNorm.of(dl4j);
        assertEquals(same, BatchNorm.of(dl4j));
        assertNotEquals(dl4j, same);
        assertNotEquals(same, dl4j);
        assertNotEquals(same, BatchNorm.of(new BatchNormalization.Builder().decay(0.7).nIn(6).nOut(6).build()));
        MultiLayerNetwork restored = new MultiLayerNetwork(back);
        restored.init();
        assertInstanceOf(BatchNormLayer.class, restored.getLayer(0));
    }

    @Test
    void modelSerializerRestoresIdenticalOutputsAndRunningStatistics(@TempDir File dir) throws Exception {
        MultiLayerNetwork net = pair(4, 3, 3, DataType.FLOAT, true, 9)[1];
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 4, 3, 3);
        net.fit(x, Nd4j.rand(DataType.FLOAT, 5, 3));
        File file = new File(dir, "bn.zip");
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file);
        assertInstanceOf(BatchNormLayer.class, restored.getLayer(0));
        assertEquals(net.params(), restored.params());
        assertEquals(net.output(x), restored.output(x));
    }
}
