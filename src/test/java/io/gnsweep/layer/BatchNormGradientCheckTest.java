package io.gnsweep.layer;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.runtime.NativeSetup;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ConvolutionMode;
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
 * DL4J's GradientCheckUtil on a network with gnsweep's BatchNorm, double precision, DL4J's usual tolerances
 * (eps 1e-6, max relative error 1e-3, min absolute error 1e-8): γ, β and the weights of the preceding layer (so
 * dL/dInput is checked too). The running statistics are excluded, as in DL4J's own BatchNorm gradient checks:
 * their "gradient" is the running-average update, not a derivative of the loss.
 */
class BatchNormGradientCheckTest {
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

    @ParameterizedTest(name = "conv={0} N={1} C={2} HxW={3}x{4} logStd={5}")
    @CsvSource({"true, 2, 4, 4, 5, true", "true, 3, 3, 3, 3, false", "true, 1, 4, 3, 3, true",
        "false, 4, 6, 0, 0, true", "false, 5, 4, 0, 0, false"})
    void gradientsMatchFiniteDifferences(boolean conv, int n, int c, int h, int w, boolean logStd) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .seed(12).updater(new NoOp()).weightInit(WeightInit.XAVIER).convolutionMode(ConvolutionMode.Same)
                .list();
        if (conv) {
            list.layer(new ConvolutionLayer.Builder(3, 3).nOut(c).activation(Activation.IDENTITY).build());
        } else {
            list.layer(new DenseLayer.Builder().nOut(c).activation(Activation.IDENTITY).build());
        }
        list.layer(new BatchNorm.Builder().useLogStd(logStd).build())
                .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
                        .build())
                .setInputType(conv ? InputType.convolutional(h, w, 2) : InputType.feedForward(5));
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        assertInstanceOf(BatchNormLayer.class, net.getLayer(1));
        Random r = new Random(n * 31L + c);
        net.getLayer(1).setParam("gamma", Nd4j.create(BatchNormTest.randoms(r, c, 0.5, 1.5)).reshape(1, c));
        net.getLayer(1).setParam("beta", Nd4j.create(BatchNormTest.randoms(r, c, -0.5, 0.5)).reshape(1, c));
        INDArray in = conv ? Nd4j.rand(DataType.DOUBLE, n, 2, h, w).subi(0.3).muli(2)
                : Nd4j.rand(DataType.DOUBLE, n, 5).subi(0.3).muli(2);
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, n, 3);
        for (int i = 0; i < n; i++) {
            labels.putScalar(i, r.nextInt(3), 1.0);
        }
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(in)
                .labels(labels).epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8)
                .excludeParams(Set.of("1_mean", "1_var", "1_log10stdev"))
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY).exitOnFirstError(false));
        assertTrue(ok, "gradient check failed (see the log)");
    }
}
