package io.gnsweep.model;

import io.gnsweep.layer.GroupNormalization;
import io.gnsweep.layer.Relu;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Builds a {@link Model} with any {@link NormKind}: the same architecture, only the layer after each
 * convolution changes. Weights are initialised from the seed (He initialisation), so the same arguments
 * always give the same network. Adam (betas 0.9/0.999, as labml's experiment) and cross-entropy loss.
 */
public final class NetworkFactory {
    private NetworkFactory() {}

    /** What a network is built from; {@code groups} is used by {@link NormKind#GROUP} only. */
    public record NetworkSpec(Model model, NormKind norm, int groups, double width, int channels, int height,
                              int imageWidth, int classes, double lr, long seed) {}

    /** Builds and initialises the network. */
    public static MultiLayerNetwork build(NetworkSpec s) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .seed(s.seed())
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                .updater(new Adam(s.lr(), 0.9, 0.999, 1e-8))
                .convolutionMode(ConvolutionMode.Same)
                .list();
        int index = 0;
        int[][] blocks = s.model().blocks(s.width());
        for (int b = 0; b < blocks.length; b++) {
            for (int c = 0; c < blocks[b].length; c++) {
                int channels = blocks[b][c];
                String name = "b" + (b + 1) + "c" + (c + 1);
                boolean normalised = s.norm() != NormKind.NONE;
                list.layer(index++, new ConvolutionLayer.Builder(3, 3).name(name).nOut(channels)
                        .hasBias(!normalised).activation(Activation.IDENTITY).build());
                if (normalised) {
                    list.layer(index++, normLayer(s.norm(), s.groups(), channels, name + "-" + s.norm().id()));
                }
                // gnsweep's ReLU layer (DL4J's values, its own fused CPU kernels) after every convolution, for every
                // norm kind alike, so that speed comparisons between norms compare the norms
                list.layer(index++, new Relu.Builder().name(name + "-relu").build());
            }
            list.layer(index++, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                    .kernelSize(2, 2).stride(2, 2).name("pool" + (b + 1)).build());
        }
        list.layer(index, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output")
                .nOut(s.classes()).activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build());
        list.setInputType(InputType.convolutional(s.height(), s.imageWidth(), s.channels()));
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        return net;
    }

    private static Layer normLayer(NormKind kind, int groups, int channels, String name) {
        switch (kind) {
            case BATCH:
                return new BatchNormalization.Builder().name(name).build();
            case GROUP:
                return new GroupNormalization.Builder().name(name).groups(groups).build();
            case LAYER:
                return new GroupNormalization.Builder().name(name).groups(1).build();
            case INSTANCE:
                return new GroupNormalization.Builder().name(name).groups(channels).build();
            default:
                throw new IllegalArgumentException("no layer for norm " + kind);
        }
    }
}
