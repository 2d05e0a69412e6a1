package io.gnsweep.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gnsweep.runtime.NativeSetup;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * gnsweep's max-pooling layer against DL4J's SubsamplingLayer, bit for bit (forward values and the gradient each
 * window routes, ties included), on both paths (fused kernels and DL4J's code), over kernels, strides, modes,
 * shapes and layouts; where the kernels run; a gradient check; a JSON round trip.
 */
class MaxPoolTest {
    @BeforeAll
    static void setUp() {
        NativeSetup.init();
    }

    @AfterEach
    void defaultPath() {
        System.clearProperty(NativeKernels.PROPERTY);
    }

    private static MultiLayerNetwork net(org.deeplearning4j.nn.conf.layers.Layer layer, DataType type, long[] shape) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(type).list()
                .layer(layer).setInputType(InputType.convolutional(shape[2], shape[3], shape[1])).build());
        net.init();
        return net;
    }

    /** (kernel, stride, mode, shape, type, ties, layout, fused) */
    static Stream<Arguments> grid() {
        int[][] ks = {{2, 2}, {3, 2}, {3, 1}, {2, 1}, {1, 1}};
        long[][] shapes = {{2, 3, 8, 8}, {1, 1, 7, 9}, {3, 4, 2, 2}, {2, 5, 1, 6}, {4, 16, 32, 32}};
        List<Arguments> out = new ArrayList<>();
        for (boolean fused : new boolean[] {true, false}) {
            for (int[] k : ks) {
                for (long[] shape : shapes) {
                    if (shape[2] < k[0] || shape[3] < k[0]) {
                        continue;
                    }
                    for (ConvolutionMode mode : new ConvolutionMode[] {ConvolutionMode.Truncate, ConvolutionMode.Same}) {
                        DataType type = shape[1] % 2 == 0 ? DataType.FLOAT : DataType.DOUBLE;
                        boolean ties = (shape[0] + k[0]) % 2 == 0;
                        Layouts layout = Layouts.values()[(int) ((shape[3] + k[1] + (ties ? 1 : 0)) % Layouts.values().length)];
                        out.add(Arguments.of(k[0], k[1], mode, shape, type, ties, layout, fused));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "k{0} s{1} {2} {3} {4} ties {5} {6} fused {7}")
    @MethodSource("grid")
    void matchesDl4jsPoolingBitForBit(int k, int s, ConvolutionMode mode, long[] shape, DataType type, boolean ties,
            Layouts layout, boolean fused) {
        if (fused) {
            assumeTrue(NativeKernels.unavailableReason() == null, "native kernels not built here");
        }
        System.setProperty(NativeKernels.PROPERTY, Boolean.toString(fused));
        Layer ours = net(new MaxPool.Builder().kernelSize(k, k).stride(s, s).convolutionMode(mode).build(), type, shape)
                .getLayer(0);
        Layer dl4j = net(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(k, k).stride(s, s)
                .convolutionMode(mode).build(), type, shape).getLayer(0);
        assertInstanceOf(MaxPoolLayer.class, ours);
        int n = (int) (shape[0] * shape[1] * shape[2] * shape[3]);
        Random r = new Random(n * 31L + k);
        double[] xs = new double[n];
        for (int i = 0; i < n; i++) {
            // ties: a few values, many equal (as after a ReLU), and signed zeros
            xs[i] = ties ? (r.nextInt(4) == 0 ? -0.0 : Math.max(0, r.nextInt(4) - 1)) : r.nextGaussian();
        }
        INDArray x = layout.make(xs, shape, type);
        ((MaxPoolLayer) ours).setInput(x, LayerWorkspaceMgr.noWorkspaces());
        boolean expectFused = fused && (mode == ConvolutionMode.Truncate
                || (shape[2] - k) % s == 0 && (shape[3] - k) % s == 0 && (s >= k || k == 1));
        assertEquals(expectFused, ((MaxPoolLayer) ours).fusedFor(x), "where the kernels run");
        INDArray y = ours.activate(true, LayerWorkspaceMgr.noWorkspaces()).dup();
        dl4j.setInput(x.dup('c'), LayerWorkspaceMgr.noWorkspaces());
        INDArray yd = dl4j.activate(true, LayerWorkspaceMgr.noWorkspaces()).dup();
        assertArrayEquals(yd.shape(), y.shape());
        double[] dys = new double[(int) y.length()];
        for (int i = 0; i < dys.length; i++) {
            dys[i] = r.nextGaussian();
        }
        INDArray dy = layout.make(dys, y.shape(), type);
        INDArray dx = ours.backpropGradient(dy, LayerWorkspaceMgr.noWorkspaces()).getSecond().dup();
        INDArray dxd = dl4j.backpropGradient(dy.dup('c'), LayerWorkspaceMgr.noWorkspaces()).getSecond().dup();
        assertBits(yd, y, "output");
        if (s >= k) {
            assertBits(dxd, dx, "dx");
        } else {
            // overlapping windows: a value's gradient is a sum over the windows that pick it, and the order in which
            // DL4J's oneDNN helper adds them depends on the instruction set it picks (AVX2 and AVX-512 differ in
            // the last bit), so here the match is to float rounding of each sum
            assertWithinRounding(dxd, dx, type, k * k, "dx");
        }
        assertArrayEquals(Nd4j.create(xs, shape, 'c').castTo(type).castTo(DataType.DOUBLE).data().asDouble(),
                x.castTo(DataType.DOUBLE).dup('c').data().asDouble(), 0.0, "the input, afterwards");
    }

    /** Each value within `terms` rounding steps of the largest magnitude (a sum of up to `terms` gradients). */
    private static void assertWithinRounding(INDArray want, INDArray got, DataType type, int terms, String what) {
        double[] w = want.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] g = got.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        assertEquals(w.length, g.length, what);
        double ulp = type == DataType.FLOAT ? Math.ulp(1f) : Math.ulp(1d);
        double scale = 1;
        for (double v : w) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < w.length; i++) {
            if (!(Math.abs(w[i] - g[i]) <= terms * ulp * scale)) {
                throw new AssertionError(what + " differs at " + i + ": DL4J " + w[i] + ", gnsweep " + g[i]);
            }
        }
    }

    private static void assertBits(INDArray want, INDArray got, String what) {
        double[] w = want.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] g = got.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        assertEquals(w.length, g.length, what);
        for (int i = 0; i < w.length; i++) {
            if (Double.doubleToRawLongBits(w[i]) != Double.doubleToRawLongBits(g[i])) {
                throw new AssertionError(what + " differs at " + i + ": DL4J " + w[i] + ", gnsweep " + g[i]);
            }
        }
    }

    /** The kernels directly, against a plain loop of the rule they implement (overlapping windows sum). */
    @Test
    void kernelsRouteEachWindowsGradientToItsFirstLargestValue() {
        assumeTrue(NativeKernels.unavailableReason() == null, "native kernels not built here");
        long[] shape = {2, 3, 7, 6};
        int kh = 3, kw = 2, sh = 2, sw = 1;
        int oh = (7 - kh) / sh + 1, ow = (6 - kw) / sw + 1;
        Random r = new Random(5);
        double[] xs = new double[2 * 3 * 7 * 6];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = r.nextInt(3);
        }
        double[] dys = new double[2 * 3 * oh * ow];
        for (int i = 0; i < dys.length; i++) {
            dys[i] = i + 1;
        }
        INDArray x = Nd4j.create(xs, shape, 'c');
        INDArray y = Nd4j.create(DataType.DOUBLE, 2, 3, oh, ow);
        INDArray dx = Nd4j.create(DataType.DOUBLE, shape);
        PoolKernels.forward(x, y, kh, kw, sh, sw);
        PoolKernels.backward(x, Nd4j.create(dys, new long[] {2, 3, oh, ow}, 'c'), dx, kh, kw, sh, sw);
        double[] wantY = new double[dys.length];
        double[] wantDx = new double[xs.length];
        for (int p = 0; p < 6; p++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int best = -1;
                    for (int a = 0; a < kh; a++) {
                        for (int b = 0; b < kw; b++) {
                            int at = p * 42 + (i * sh + a) * 6 + j * sw + b;
                            if (best < 0 || xs[at] > xs[best]) {
                                best = at;
                            }
                        }
                    }
                    int o = p * oh * ow + i * ow + j;
                    wantY[o] = xs[best];
                    wantDx[best] += dys[o];
                }
            }
        }
        assertArrayEquals(wantY, y.data().asDouble(), 0.0);
        assertArrayEquals(wantDx, dx.data().asDouble(), 0.0);
    }

    @Test
    void aNetworkWithItPassesDl4jsGradientCheckAndItsConfigRoundTrips() {
        assumeTrue(NativeKernels.unavailableReason() == null, "native kernels not built here");
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(12)
                .updater(new NoOp()).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.TANH)
                        .convolutionMode(ConvolutionMode.Same).build())
                .layer(new MaxPool.Builder().kernelSize(2, 2).stride(2, 2).name("pool").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(6, 6, 2)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        assertInstanceOf(MaxPoolLayer.class, net.getLayer(1));
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 2, 6, 6);
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 3, 4);
        for (int i = 0; i < 3; i++) {
            labels.putScalar(i, i, 1);
        }
        assertTrue(((MaxPoolLayer) net.getLayer(1)).fusedFor(Nd4j.rand(DataType.DOUBLE, 3, 3, 6, 6)));
        DataType previous = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x)
                    .labels(labels).epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)));
        } finally {
            Nd4j.setDefaultDataTypes(previous, previous);
        }
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        org.deeplearning4j.nn.conf.layers.Layer pool = back.getConf(1).getLayer();
        assertInstanceOf(MaxPool.class, pool);
        assertArrayEquals(new int[] {2, 2}, ((MaxPool) pool).getKernelSize());
        assertEquals(org.deeplearning4j.nn.conf.layers.PoolingType.MAX, ((MaxPool) pool).getPoolingType());
    }
}
