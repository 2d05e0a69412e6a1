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
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * gnsweep's {@link Relu} layer against DL4J's {@code ActivationLayer} with ReLU, on both of its paths: the
 * same outputs and input gradients, bit for bit, on data with exact zeros, negative zeros and values of
 * both signs; the same configuration after a JSON round trip.
 */
class ReluTest {

    @BeforeAll
    static void setUp() {
        NativeSetup.init();
    }

    @AfterEach
    void defaultPath() {
        System.clearProperty(NativeKernels.PROPERTY);
    }

    private static MultiLayerNetwork net(org.deeplearning4j.nn.conf.layers.Layer layer, DataType type, long[] shape) {
        InputType in = shape.length == 4 ? InputType.convolutional(shape[2], shape[3], shape[1])
                : InputType.feedForward(shape[1]);
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(type).list()
                .layer(layer).setInputType(in).build());
        net.init();
        return net;
    }

    @ParameterizedTest(name = "{0} {1}, fused kernels {2}")
    @CsvSource({
        "FLOAT, 4x8x5x5, true",
        "FLOAT, 16x64x16x16, true",  // 262,144 values: split across threads
        "DOUBLE, 4x8x5x5, true",
        "FLOAT, 6x10, true",
        "FLOAT, 4x8x5x5, false",
        "DOUBLE, 6x10, false",
    })
    void matchesDl4jsReluBitForBit(DataType type, String dims, boolean fused) {
        if (fused) {
            assumeTrue(NativeKernels.unavailableReason() == null, "native kernels not built here");
        }
        System.setProperty(NativeKernels.PROPERTY, Boolean.toString(fused));
        String[] p = dims.split("x");
        long[] shape = new long[p.length];
        for (int i = 0; i < p.length; i++) {
            shape[i] = Long.parseLong(p[i]);
        }
        int n = (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        Random r = new Random(n);
        double[] xs = new double[n];
        double[] dys = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = i % 7 == 0 ? 0.0 : i % 11 == 0 ? -0.0 : r.nextGaussian();
            dys[i] = r.nextGaussian();
        }
        INDArray x = Nd4j.create(xs, shape, 'c').castTo(type);
        INDArray dy = Nd4j.create(dys, shape, 'c').castTo(type);
        Layer ours = net(new Relu.Builder().build(), type, shape).getLayer(0);
        Layer dl4j = net(new ActivationLayer.Builder().activation(Activation.RELU).build(), type, shape).getLayer(0);
        assertInstanceOf(ReluLayer.class, ours);
        assertEquals(fused, NativeKernels.use(type));
        INDArray[] a = run(ours, x, dy);
        INDArray[] b = run(dl4j, x, dy);
        for (int k = 0; k < 2; k++) {
            assertArrayEquals(b[k].shape(), a[k].shape());
            assertArrayEquals(b[k].castTo(DataType.DOUBLE).dup('c').data().asDouble(),
                    a[k].castTo(DataType.DOUBLE).dup('c').data().asDouble(), 0.0, k == 0 ? "output" : "dx");
        }
        assertTrue(a[0].minNumber().doubleValue() >= 0);
    }

    /** Shapes ([N, C, 1, 1] as after global pooling, H or W = 1, N = 1, odd, dense [N, C]) x layouts x both paths. */
    static Stream<Arguments> layoutGrid() {
        long[][] shapes = {{2, 12, 1, 1}, {1, 12, 1, 1}, {2, 8, 1, 5}, {2, 8, 5, 1}, {3, 6, 5, 7}, {4, 10}, {1, 10}};
        List<Arguments> out = new ArrayList<>();
        for (boolean fused : new boolean[] {true, false}) {
            for (long[] shape : shapes) {
                for (Layouts layout : Layouts.values()) {
                    out.add(Arguments.of(fused, shape, layout));
                }
            }
        }
        return out.stream();
    }

    /**
     * Input and output gradient in each layout ND4J may hand the layer: y = max(x, 0) and dx = dy where x > 0, as
     * a plain loop computes them on the logical values, and the input left as it was.
     */
    @ParameterizedTest(name = "fused {0}: {1} {2}")
    @MethodSource("layoutGrid")
    void everyInputLayoutGivesTheReferenceValues(boolean fused, long[] shape, Layouts layout) {
        if (fused) {
            assumeTrue(NativeKernels.unavailableReason() == null, "native kernels not built here");
        }
        System.setProperty(NativeKernels.PROPERTY, Boolean.toString(fused));
        int n = (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        Random r = new Random(n + shape.length);
        double[] xs = new double[n];
        double[] dys = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = i % 5 == 0 ? 0.0 : r.nextGaussian();
            dys[i] = r.nextGaussian();
        }
        INDArray x = layout.make(xs, shape, DataType.DOUBLE);
        INDArray dy = layout.make(dys, shape, DataType.DOUBLE);
        Layer layer = net(new Relu.Builder().build(), DataType.DOUBLE, shape).getLayer(0);
        assertEquals(fused, NativeKernels.use(DataType.DOUBLE));
        INDArray[] got = run(layer, x, dy);
        double[] y = new double[n];
        double[] dx = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = Math.max(xs[i], 0.0);
            dx[i] = xs[i] > 0 ? dys[i] : 0.0;
        }
        assertArrayEquals(shape, got[0].shape());
        assertArrayEquals(shape, got[1].shape());
        assertArrayEquals(y, got[0].dup('c').data().asDouble(), 0.0, "output");
        assertArrayEquals(dx, got[1].dup('c').data().asDouble(), 0.0, "dx");
        assertArrayEquals(xs, x.dup('c').data().asDouble(), 0.0, "the input, afterwards");
    }

    /**
     * Dropout set for the whole network (it reaches every layer) is applied to the ReLU's input in training and
     * backpropagated, on both paths (DL4J's own ActivationLayer ignores it); inference is untouched.
     */
    @ParameterizedTest(name = "fused kernels {0}")
    @CsvSource({"true", "false"})
    void networkWideDropoutIsAppliedInTraining(boolean fused) {
        if (fused) {
            assumeTrue(NativeKernels.unavailableReason() == null, "native kernels not built here");
        }
        System.setProperty(NativeKernels.PROPERTY, Boolean.toString(fused));
        long[] shape = {8, 4, 5, 5};
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .seed(3).dropOut(0.5).list().layer(new Relu.Builder().build())
                .setInputType(InputType.convolutional(5, 5, 4)).build());
        net.init();
        INDArray x = Nd4j.rand(DataType.DOUBLE, shape).addi(0.1); // all > 0: the ReLU passes every kept value
        INDArray dy = Nd4j.ones(DataType.DOUBLE, shape);
        Layer layer = net.getLayer(0);
        layer.setInput(x.dup(), LayerWorkspaceMgr.noWorkspaces());
        INDArray y = layer.activate(true, LayerWorkspaceMgr.noWorkspaces()).dup();
        INDArray dx = layer.backpropGradient(dy.dup(), LayerWorkspaceMgr.noWorkspaces()).getSecond().dup();
        double[] xv = x.dup('c').data().asDouble();
        double[] yv = y.dup('c').data().asDouble();
        double[] dxv = dx.dup('c').data().asDouble();
        int dropped = 0;
        for (int i = 0; i < xv.length; i++) {
            if (yv[i] == 0) {
                dropped++;
                assertEquals(0.0, dxv[i], "a dropped value passes no gradient, at " + i);
            } else {
                assertEquals(2 * xv[i], yv[i], 1e-12, "a kept value is scaled by 1/p = 2, at " + i);
                assertEquals(2.0, dxv[i], 1e-12, "and so is its gradient, at " + i);
            }
        }
        // 800 values, each dropped with probability 0.5: 400 ± 14 (1 sd)
        assertTrue(dropped > 300 && dropped < 500, dropped + " of " + xv.length + " dropped");
        layer.setInput(x.dup(), LayerWorkspaceMgr.noWorkspaces());
        assertArrayEquals(xv, layer.activate(false, LayerWorkspaceMgr.noWorkspaces()).dup('c').data().asDouble(), 0.0);
    }

    private static INDArray[] run(Layer layer, INDArray x, INDArray dy) {
        layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
        INDArray y = layer.activate(true, LayerWorkspaceMgr.noWorkspaces()).dup();
        INDArray dx = layer.backpropGradient(dy, LayerWorkspaceMgr.noWorkspaces()).getSecond().dup();
        return new INDArray[] {y, dx};
    }

    @Test
    void configurationSurvivesJsonRoundTrip() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new Relu.Builder().name("r").build()).setInputType(InputType.feedForward(3)).build();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        Relu relu = assertInstanceOf(Relu.class, back.getConf(0).getLayer());
        assertEquals("r", relu.getLayerName());
        assertEquals(Activation.RELU.getActivationFunction(), relu.getActivationFn());
    }
}
