package io.gnsweep.layer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.runtime.NativeSetup;
import java.util.Random;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * DL4J's GradientCheckUtil, double precision, DL4J's usual tolerances (eps 1e-6, max relative error 1e-3,
 * min absolute error 1e-8): γ, β, and the weights of the preceding layer (so dL/dInput is checked too).
 */
class GroupNormGradientCheckTest {
    private static DataType previous;

    @BeforeAll
    static void doubles() {
        NativeSetup.init();
        previous = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restore() {
        Nd4j.setDefaultDataTypes(previous, previous);
    }

    private static void randomiseGammaBeta(MultiLayerNetwork net, int layer, int c, long seed) {
        Random r = new Random(seed);
        net.getLayer(layer).setParam("gamma", Nd4j.create(GroupNormalizationTest.randoms(r, c, 0.5, 1.5)).reshape(c));
        net.getLayer(layer).setParam("beta", Nd4j.create(GroupNormalizationTest.randoms(r, c, -0.5, 0.5)).reshape(c));
    }

    private static INDArray oneHot(int n, int classes, long seed) {
        Random r = new Random(seed);
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, n, classes);
        for (int i = 0; i < n; i++) {
            labels.putScalar(i, r.nextInt(classes), 1.0);
        }
        return labels;
    }

    private static boolean check(MultiLayerNetwork net, INDArray in, INDArray labels) {
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(in).labels(labels)
                .epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY).exitOnFirstError(false));
    }

    @ParameterizedTest(name = "conv: N={0} C={1} G={2} HxW={3}x{4}")
    @CsvSource({"2, 6, 3, 4, 5", "1, 4, 1, 3, 3", "3, 4, 4, 3, 2", "2, 8, 2, 5, 5"})
    void convolutionalInput(int n, int c, int g, int h, int w) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(12)
                .updater(new NoOp()).weightInit(WeightInit.XAVIER).convolutionMode(ConvolutionMode.Same).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(c).activation(Activation.IDENTITY).build())
                .layer(new GroupNormalization.Builder().groups(g).build())
                .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(h, w, 2)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        randomiseGammaBeta(net, 1, c, 3);
        INDArray in = Nd4j.rand(DataType.DOUBLE, n, 2, h, w).muli(2).subi(1);
        assertTrue(check(net, in, oneHot(n, 3, 5)), "gradient check failed");
    }

    @ParameterizedTest(name = "dense: N={0} C={1} G={2}")
    @CsvSource({"4, 8, 2", "3, 6, 6", "2, 6, 1"})
    void denseInput(int n, int c, int g) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(13)
                .updater(new NoOp()).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nOut(c).activation(Activation.IDENTITY).build())
                .layer(new GroupNormalization.Builder().groups(g).build())
                .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(5)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        randomiseGammaBeta(net, 1, c, 4);
        INDArray in = Nd4j.rand(DataType.DOUBLE, n, 5).muli(2).subi(1);
        assertTrue(check(net, in, oneHot(n, 3, 6)), "gradient check failed");
    }
}
