package io.gnsweep.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.layer.Conv2DLayer;
import io.gnsweep.layer.GroupNormalization;
import io.gnsweep.runtime.NativeSetup;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** One architecture, any norm; deterministic initialisation from the seed. */
class NetworkFactoryTest {
    @BeforeAll
    static void init() {
        NativeSetup.init();
    }

    private static MultiLayerNetwork build(Model m, NormKind k, int groups, double width, int size, long seed) {
        return NetworkFactory.build(new NetworkFactory.NetworkSpec(m, k, groups, width, 1, size, size, 10, 1e-3, seed));
    }

    @Test
    void normKindsPlaceTheRightLayerAfterEachConvolution() {
        MultiLayerNetwork group = build(Model.SMALL_CNN, NormKind.GROUP, 4, 1.0, 28, 1);
        GroupNormalization gn = assertInstanceOf(GroupNormalization.class, group.getLayer(1).conf().getLayer());
        assertEquals(4, gn.getGroups());
        GroupNormalization in = assertInstanceOf(GroupNormalization.class,
                build(Model.SMALL_CNN, NormKind.INSTANCE, 0, 1.0, 28, 1).getLayer(1).conf().getLayer());
        assertEquals(32, in.getGroups());
        assertEquals(1, ((GroupNormalization) build(Model.SMALL_CNN, NormKind.LAYER, 0, 1.0, 28, 1).getLayer(1)
                .conf().getLayer()).getGroups());
        // gnsweep's BatchNorm: DL4J's BatchNormalization configuration, computed by gnsweep's layer
        MultiLayerNetwork batch = build(Model.SMALL_CNN, NormKind.BATCH, 0, 1.0, 28, 1);
        assertInstanceOf(BatchNormalization.class, batch.getLayer(1).conf().getLayer());
        assertInstanceOf(io.gnsweep.layer.BatchNorm.class, batch.getLayer(1).conf().getLayer());
        assertInstanceOf(io.gnsweep.layer.BatchNormLayer.class, batch.getLayer(1));
        // the ReLU after each norm is fused into it: the next layer is the next convolution
        assertTrue(gn.isRelu());
        assertTrue(((io.gnsweep.layer.BatchNorm) batch.getLayer(1).conf().getLayer()).isRelu());
        assertInstanceOf(ConvolutionLayer.class, group.getLayer(2).conf().getLayer());
        MultiLayerNetwork none = build(Model.SMALL_CNN, NormKind.NONE, 0, 1.0, 28, 1);
        // without a norm: convolution, then gnsweep's ReLU layer
        assertInstanceOf(io.gnsweep.layer.Relu.class, none.getLayer(1).conf().getLayer());
        assertInstanceOf(ConvolutionLayer.class, none.getLayer(2).conf().getLayer());
        assertEquals(Activation.IDENTITY.getActivationFunction(),
                ((ConvolutionLayer) none.getLayer(0).conf().getLayer()).getActivationFn());
        // conv without bias + norm (γ, β: 2C) vs conv with bias (C): C more per normalised layer
        int channels = Model.SMALL_CNN.normalisedChannels(1.0).stream().mapToInt(Integer::intValue).sum();
        assertEquals(none.numParams() + channels, group.numParams());
    }

    /**
     * The networks a trial trains skip the gradient with respect to their input (the first convolution's input
     * gradient, which nothing uses) and keep every other layer's.
     */
    @Test
    void onlyTheConvolutionsFedTheInputSkipTheirInputGradient() {
        Net plain = NetworkFactory.create(new NetworkFactory.NetworkSpec(Model.VGG_CIFAR, NormKind.GROUP, 4, 0.25, 1,
                32, 32, 10, 1e-3, 1));
        Layer[] layers = ((MultiLayerNetwork) plain.dl4j()).getLayers();
        int convs = 0;
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] instanceof Conv2DLayer c) {
                assertEquals(i != 0, c.isInputGradient(), "layer " + i);
                convs++;
            }
        }
        assertInstanceOf(Conv2DLayer.class, layers[0]);
        assertEquals(13, convs);
        ComputationGraph resnet = ResNetTest.graph(NormKind.BATCH, 0, 20, 0.5, 1, 32, true,
                new org.nd4j.linalg.learning.config.Sgd(0.1), 0);
        List<String> skipping = new ArrayList<>();
        int graphConvs = 0;
        for (Layer l : resnet.getLayers()) {
            if (l instanceof Conv2DLayer c) {
                graphConvs++;
                if (!c.isInputGradient()) {
                    skipping.add(l.getConfig().getLayerName());
                }
            }
        }
        assertEquals(List.of("stem"), skipping);
        assertEquals(21, graphConvs);
        // DL4J's own network, built without a trial's wrapper, keeps DL4J's behaviour
        assertTrue(((Conv2DLayer) build(Model.SMALL_CNN, NormKind.GROUP, 4, 1.0, 28, 1).getLayer(0)).isInputGradient());
    }

    @Test
    void vggCifarHasFiveBlocksAndAWidthOption() {
        MultiLayerNetwork vgg = build(Model.VGG_CIFAR, NormKind.GROUP, 16, 0.25, 32, 1);
        assertEquals(13, Model.VGG_CIFAR.normalisedChannels(1.0).size());
        assertEquals(128, Model.VGG_CIFAR.normalisedChannels(0.25).get(12));
        INDArray out = vgg.output(Nd4j.rand(DataType.FLOAT, 2, 1, 32, 32));
        assertEquals(2, out.size(0));
        assertEquals(10, out.size(1));
    }

    @Test
    void theSeedDecidesTheWeights() {
        INDArray a = build(Model.SMALL_CNN, NormKind.GROUP, 8, 0.5, 28, 7).params();
        assertEquals(a, build(Model.SMALL_CNN, NormKind.GROUP, 8, 0.5, 28, 7).params());
        assertNotEquals(a, build(Model.SMALL_CNN, NormKind.GROUP, 8, 0.5, 28, 8).params());
    }

    @Test
    void aGroupCountThatDoesNotDivideIsRefusedNamingTheLayer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> build(Model.SMALL_CNN, NormKind.GROUP, 3, 1.0, 28, 1));
        assertEquals(true, e.getMessage().contains("G = 3") && e.getMessage().contains("C = 32")
                && e.getMessage().contains("b1c1-group"), e.getMessage());
    }
}
