package io.gnsweep.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Supplier;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The fused updates against ND4J's own ops, bit for bit: {@link FusedAdam} against DL4J's {@link Adam}, and
 * {@link SgdMomentum}'s fused pass against its ND4J ops ({@code gnsweep.layer.nativeKernels=false}); in float and
 * double, above and below the size where the kernels split work across threads, with a schedule, and inside a
 * network's training.
 */
class UpdaterKernelsTest {
    private static final String PROPERTY = "gnsweep.layer.nativeKernels";

    @BeforeAll
    static void init() {
        io.gnsweep.runtime.NativeSetup.init();
    }

    /** Each step's update (the gradient the updater leaves) and the final state, from the same gradients. */
    private static float[][] run(IUpdater config, DataType type, int n, int steps, long seed) {
        INDArray state = Nd4j.create(type, 1, Math.max(1, config.stateSize(n))); // [1, 1] unused without state
        GradientUpdater<?> u = config.instantiate(state, true);
        Random r = new Random(seed);
        float[][] out = new float[steps + 1][];
        for (int t = 0; t < steps; t++) {
            double[] g = new double[n];
            for (int i = 0; i < n; i++) {
                g[i] = r.nextGaussian() * (i % 7 == 0 ? 1e-4 : 1.0);
            }
            INDArray grad = Nd4j.createFromArray(g).castTo(type).reshape(1, n);
            u.applyUpdater(grad, t, 0);
            out[t] = type == DataType.FLOAT ? grad.toFloatVector() : bits(grad.toDoubleVector());
        }
        out[steps] = type == DataType.FLOAT ? state.toFloatVector() : bits(state.toDoubleVector());
        return out;
    }

    /** A double vector's bits as floats pairs, so that one exact comparison serves both types. */
    private static float[] bits(double[] d) {
        float[] f = new float[2 * d.length];
        for (int i = 0; i < d.length; i++) {
            long b = Double.doubleToRawLongBits(d[i]);
            f[2 * i] = Float.intBitsToFloat((int) (b >>> 32));
            f[2 * i + 1] = Float.intBitsToFloat((int) b);
        }
        return f;
    }

    private static float[][] withKernels(boolean on, Supplier<float[][]> run) {
        String before = System.getProperty(PROPERTY);
        System.setProperty(PROPERTY, Boolean.toString(on));
        try {
            return run.get();
        } finally {
            if (before == null) {
                System.clearProperty(PROPERTY);
            } else {
                System.setProperty(PROPERTY, before);
            }
        }
    }

    private static void assertBitsEqual(float[][] want, float[][] got, String what) {
        for (int t = 0; t < want.length; t++) {
            assertEquals(want[t].length, got[t].length, what + ", step " + t);
            for (int i = 0; i < want[t].length; i++) {
                if (Float.floatToRawIntBits(want[t][i]) != Float.floatToRawIntBits(got[t][i])) {
                    throw new AssertionError(what + ", step " + t + ", value " + i + ": " + want[t][i] + " vs "
                            + got[t][i]);
                }
            }
        }
    }

    private static final int[] SIZES = {37, 200_003};

    @Test
    void fusedAdamGivesDl4jAdamsBits() {
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.COSINE, 3e-3, 12, 2, new double[0], 0.1);
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int n : SIZES) {
                String what = "Adam " + type + " n=" + n;
                float[][] want = run(new Adam(1e-3, 0.9, 0.999, 1e-8), type, n, 12, n);
                float[][] got = withKernels(true, () -> run(new FusedAdam(1e-3, 0.9, 0.999, 1e-8), type, n, 12, n));
                assertBitsEqual(want, got, what);
                Adam scheduled = new Adam(1e-3, 0.8, 0.99, 1e-6);
                scheduled.setLearningRateSchedule(schedule);
                FusedAdam fused = new FusedAdam(1e-3, 0.8, 0.99, 1e-6);
                fused.setLearningRateSchedule(schedule);
                assertBitsEqual(run(scheduled, type, n, 12, n + 1),
                        withKernels(true, () -> run(fused, type, n, 12, n + 1)), what + ", scheduled");
            }
        }
    }

    /** Segments of a fused step: none, then L2 5e-4, none, L2 1e-2 (the last reaching the end). */
    private static final java.util.function.IntFunction<long[]> STARTS = n -> new long[] {0, n / 5, n / 2, n / 2 + 3, n};
    private static final double[] L2 = {0, 5e-4, 0, 1e-2};

    /**
     * Parameters and state after steps taken as DL4J takes them (the summed gradient divided by the batch of 3, L2
     * on two segments, the updater's update with ND4J's ops, params -= update), or by the fused step kernel from the
     * same values.
     */
    private static float[][] runStepped(IUpdater config, DataType type, int n, int steps, long seed, boolean fused) {
        INDArray state = Nd4j.create(type, 1, Math.max(1, config.stateSize(n)));
        GradientUpdater<?> u = config.instantiate(state, true);
        Random r = new Random(seed);
        INDArray p = Nd4j.createFromArray(r.doubles(n).toArray()).castTo(type).reshape(1, n);
        for (int t = 0; t < steps; t++) {
            double[] g = new double[n];
            for (int i = 0; i < n; i++) {
                g[i] = r.nextGaussian() * (i % 7 == 0 ? 1e-4 : 3.0);
            }
            INDArray grad = Nd4j.createFromArray(g).castTo(type).reshape(1, n);
            if (!fused) {
                grad.divi(3);
                long[] starts = STARTS.apply(n);
                for (int k = 0; k < L2.length; k++) { // L2 as FusedL2 adds it, segment by segment
                    if (L2[k] != 0) {
                        INDArray gs = grad.get(NDArrayIndex.point(0), NDArrayIndex.interval(starts[k], starts[k + 1]));
                        INDArray ps = p.get(NDArrayIndex.point(0), NDArrayIndex.interval(starts[k], starts[k + 1]));
                        assertTrue(UpdaterKernels.l2(gs, ps, L2[k]));
                    }
                }
                int iteration = t;
                withKernels(false, () -> {
                    u.applyUpdater(grad, iteration, 0);
                    return null;
                });
                p.subi(grad);
            } else if (config instanceof Adam a) {
                INDArray m = state.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, n));
                INDArray v = state.get(NDArrayIndex.point(0), NDArrayIndex.interval(n, 2 * n));
                assertTrue(UpdaterKernels.adamStep(grad, m, v, p, 3, STARTS.apply(n), L2, a.getLearningRate(t, 0),
                        a.getBeta1(), a.getBeta2(), a.getEpsilon(), t));
            } else {
                SgdMomentum c = (SgdMomentum) config;
                assertTrue(UpdaterKernels.sgdStep(grad, c.getMomentum() == 0 ? null : state, p, 3, STARTS.apply(n),
                        L2, c.getLearningRate(t, 0), c.getMomentum(), c.isNesterov()));
            }
        }
        return type == DataType.FLOAT ? new float[][] {p.toFloatVector(), state.toFloatVector()}
                : new float[][] {bits(p.toDoubleVector()), bits(state.toDoubleVector())};
    }

    /** The fused step (division, L2, update, step in one pass: FusedStep) gives the bits of those passes. */
    @Test
    void fusedStepsGiveTheThreePassesBits() {
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.STEP, 0.1, 10, 1, new double[] {0.5}, 0.1);
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int n : SIZES) {
                String what = type + " n=" + n;
                Adam adam = new Adam(1e-3, 0.9, 0.999, 1e-8);
                assertBitsEqual(runStepped(adam, type, n, 12, n, false), runStepped(adam, type, n, 12, n, true),
                        "Adam step " + what);
                for (double mu : new double[] {0, 0.9}) {
                    for (boolean nesterov : new boolean[] {false, true}) {
                        SgdMomentum c = new SgdMomentum(0.1, schedule, mu, nesterov);
                        assertBitsEqual(runStepped(c, type, n, 10, n, false), runStepped(c, type, n, 10, n, true),
                                "SGD step " + what + " mu=" + mu + (nesterov ? " nesterov" : ""));
                    }
                }
            }
        }
    }

    @Test
    void fusedSgdGivesItsNd4jOpsBits() {
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.STEP, 0.1, 10, 1, new double[] {0.5}, 0.1);
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int n : SIZES) {
                for (double mu : new double[] {0, 0.9}) {
                    for (boolean nesterov : new boolean[] {false, true}) {
                        SgdMomentum c = new SgdMomentum(0.1, schedule, mu, nesterov);
                        String what = "SGD " + type + " n=" + n + " mu=" + mu + (nesterov ? " nesterov" : "");
                        assertBitsEqual(withKernels(false, () -> run(c, type, n, 10, n)),
                                withKernels(true, () -> run(c, type, n, 10, n)), what);
                    }
                }
            }
        }
    }

    @Test
    void theKernelsRunOnDenseArraysAndStepAsideForOthers() {
        INDArray g = Nd4j.rand(DataType.FLOAT, 1, 1000);
        INDArray m = Nd4j.zeros(DataType.FLOAT, 1, 1000);
        INDArray v = Nd4j.zeros(DataType.FLOAT, 1, 1000);
        assertTrue(UpdaterKernels.adam(g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0), "dense float arrays take the kernel");
        assertNotEquals(0.0, m.sumNumber().doubleValue(), "the kernel wrote the state");
        INDArray strided = Nd4j.rand(DataType.FLOAT, 1000, 2).getColumn(0);
        assertFalse(UpdaterKernels.sgd(strided, null, 0.1, 0, false), "a strided view is left to ND4J");
        assertFalse(UpdaterKernels.sgd(Nd4j.rand(DataType.HALF, 1, 10), null, 0.1, 0, false), "half is left to ND4J");
        withKernels(false, () -> {
            assertFalse(UpdaterKernels.sgd(Nd4j.rand(DataType.FLOAT, 1, 10), null, 0.1, 0, false), "switched off");
            return null;
        });
    }

    private static MultiLayerNetwork net(IUpdater updater) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT)
                .updater(updater).list()
                .layer(new DenseLayer.Builder().nIn(20).nOut(300).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nOut(300).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(5)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    @Test
    void aNetworkTrainedWithFusedAdamHasDl4jAdamsParametersAndItsConfigRoundTrips() {
        MultiLayerNetwork dl4j = net(new Adam(1e-2, 0.9, 0.999, 1e-8));
        MultiLayerNetwork fused = net(new FusedAdam(1e-2, 0.9, 0.999, 1e-8));
        assertTrue(fused.getLayerWiseConfigurations().getConf(1).getLayer() instanceof DenseLayer);
        assertEquals(FusedAdam.class,
                ((org.deeplearning4j.nn.conf.layers.BaseLayer) fused.getLayerWiseConfigurations().getConf(1)
                        .getLayer()).getIUpdater().getClass(), "every layer keeps the fused updater");
        Random r = new Random(3);
        for (int step = 0; step < 15; step++) {
            INDArray x = Nd4j.randn(DataType.FLOAT, 16, 20);
            INDArray y = Nd4j.zeros(DataType.FLOAT, 16, 5);
            for (int i = 0; i < 16; i++) {
                y.putScalar(i, r.nextInt(5), 1);
            }
            dl4j.fit(x, y);
            fused.fit(x, y);
        }
        assertArrayEquals(dl4j.params().toFloatVector(), fused.params().toFloatVector(), 0f);
        assertArrayEquals(dl4j.getUpdater().getStateViewArray().toFloatVector(),
                fused.getUpdater().getStateViewArray().toFloatVector(), 0f);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(fused.getLayerWiseConfigurations().toJson());
        IUpdater u = ((org.deeplearning4j.nn.conf.layers.BaseLayer) back.getConf(0).getLayer()).getIUpdater();
        assertEquals(FusedAdam.class, u.getClass());
        assertEquals(1e-2, ((Adam) u).getLearningRate());
    }
}
