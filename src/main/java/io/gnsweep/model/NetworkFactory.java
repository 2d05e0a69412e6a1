package io.gnsweep.model;

import io.gnsweep.layer.BatchNorm;
import io.gnsweep.layer.Conv2D;
import io.gnsweep.layer.GroupNormalization;
import io.gnsweep.layer.MaxPool;
import io.gnsweep.layer.Relu;
import io.gnsweep.optim.BlockUpdaters;
import io.gnsweep.optim.FusedAdam;
import io.gnsweep.optim.FusedL2;
import java.util.List;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Builds a {@link Model} with any {@link NormKind}: the same architecture, only the layer after each
 * convolution changes. Weights are initialised from the seed (He initialisation), so the same arguments
 * always give the same network. Cross-entropy loss; the updater is the spec's (Adam with betas 0.9/0.999, as
 * labml's experiment, when none is given). Weight decay is DL4J's L2 regularisation (added to the gradient
 * before the updater, as {@code torch.optim.SGD(weight_decay=...)}) set on each convolution and dense layer,
 * for their weights only: never on biases or a norm's γ/β.
 */
public final class NetworkFactory {
    private NetworkFactory() {}

    /**
     * What a network is built from; {@code groups} is used by {@link NormKind#GROUP} only, {@code depth} and
     * {@code zeroInitLastNorm} by {@link Model#RESNET} only; {@code updater} null means Adam at {@code lr}.
     */
    public record NetworkSpec(Model model, NormKind norm, int groups, double width, int channels, int height,
                              int imageWidth, int classes, double lr, long seed, int depth, boolean zeroInitLastNorm,
                              IUpdater updater, double weightDecay) {

        /** Adam at {@code lr}, no weight decay, ResNet-20 with γ = 0 on each block's last norm. */
        public NetworkSpec(Model model, NormKind norm, int groups, double width, int channels, int height,
                           int imageWidth, int classes, double lr, long seed) {
            this(model, norm, groups, width, channels, height, imageWidth, classes, lr, seed, Model.DEFAULT_DEPTH,
                    model.isResidual(), null, 0);
        }
    }

    /** Builds and initialises the network, of either DL4J kind. */
    public static Net create(NetworkSpec s) {
        return s.model().isResidual() ? Net.of(ResNet.build(s)) : Net.of(build(s));
    }

    /** Builds and initialises a plain CNN ({@code small-cnn}, {@code vgg-cifar}); see {@link #create} for all. */
    public static MultiLayerNetwork build(NetworkSpec s) {
        if (s.model().isResidual()) {
            throw new IllegalArgumentException(s.model().id() + " is a ComputationGraph: use NetworkFactory.create");
        }
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .seed(s.seed())
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                .updater(updater(s))
                .convolutionMode(ConvolutionMode.Same)
                .list();
        int index = 0;
        int[][] blocks = s.model().blocks(s.width());
        for (int b = 0; b < blocks.length; b++) {
            for (int c = 0; c < blocks[b].length; c++) {
                int channels = blocks[b][c];
                String name = "b" + (b + 1) + "c" + (c + 1);
                boolean normalised = s.norm() != NormKind.NONE;
                ConvolutionLayer.Builder conv = new Conv2D.Builder(3, 3).name(name).nOut(channels)
                        .hasBias(!normalised).activation(Activation.IDENTITY);
                if (s.weightDecay() > 0) {
                    conv.regularization(List.of(new FusedL2(s.weightDecay())));
                }
                list.layer(index++, conv.build());
                // ReLU after every convolution: fused into the norm layer (the same values, without the ReLU layer's
                // passes over memory), else gnsweep's ReLU layer (DL4J's values, its own fused CPU kernels)
                boolean fused = normalised && fusedRelu();
                if (normalised) {
                    list.layer(index++, normLayer(s.norm(), s.groups(), channels, name + "-" + s.norm().id(), fused));
                }
                if (!fused) {
                    list.layer(index++, new Relu.Builder().name(name + "-relu").build());
                }
            }
            // gnsweep's max-pooling layer: DL4J's SubsamplingLayer values, its own fused CPU kernels
            list.layer(index++, new MaxPool.Builder().kernelSize(2, 2).stride(2, 2).name("pool" + (b + 1)).build());
        }
        OutputLayer.Builder out = new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("output")
                .nOut(s.classes()).activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER);
        if (s.weightDecay() > 0) {
            out.regularization(List.of(new FusedL2(s.weightDecay())));
        }
        list.layer(index, out.build());
        list.setInputType(InputType.convolutional(s.height(), s.imageWidth(), s.channels()));
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        if (BlockUpdaters.enabled()) {
            BlockUpdaters.install(net);
        }
        return net;
    }

    /** The spec's updater, or Adam (betas 0.9 / 0.999, eps 1e-8) at its learning rate. */
    static IUpdater updater(NetworkSpec s) {
        return s.updater() != null ? s.updater().clone() : new FusedAdam(s.lr(), 0.9, 0.999, 1e-8);
    }

    /**
     * Whether the ReLU after a norm layer is fused into it ({@code relu(true)} on gnsweep's GroupNorm and BatchNorm
     * layers: the same values and gradients to the bit, one array and one vertex fewer), else a ReLU layer of its
     * own follows; {@value #FUSED_RELU_PROPERTY} = {@code false} builds the latter (read when a network is built).
     */
    static boolean fusedRelu() {
        return !"false".equalsIgnoreCase(System.getProperty(FUSED_RELU_PROPERTY, "true").trim());
    }

    /** System property: {@code false} builds networks with a ReLU layer after each norm layer ({@link #fusedRelu}). */
    public static final String FUSED_RELU_PROPERTY = "gnsweep.model.fusedRelu";

    /** The norm layer of this kind, with a ReLU fused into it when {@code relu}. */
    static Layer normLayer(NormKind kind, int groups, int channels, String name, boolean relu) {
        switch (kind) {
            case BATCH:
                return new BatchNorm.Builder().relu(relu).name(name).build();
            case GROUP:
                return new GroupNormalization.Builder().name(name).groups(groups).relu(relu).build();
            case LAYER:
                return new GroupNormalization.Builder().name(name).groups(1).relu(relu).build();
            case INSTANCE:
                return new GroupNormalization.Builder().name(name).groups(channels).relu(relu).build();
            default:
                throw new IllegalArgumentException("no layer for norm " + kind);
        }
    }
}
