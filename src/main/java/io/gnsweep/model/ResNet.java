package io.gnsweep.model;

import io.gnsweep.layer.AddRelu;
import io.gnsweep.layer.Conv2D;
import io.gnsweep.layer.Relu;
import io.gnsweep.optim.BlockUpdaters;
import io.gnsweep.optim.FusedL2;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * He et al.'s CIFAR ResNet (Deep Residual Learning, 2016, section 4.2) with any {@link NormKind}, as a DL4J
 * {@link ComputationGraph}:
 * <pre>
 *   stem      conv3x3(16w) - norm - ReLU                                   [N,16w,32,32]
 *   stage 1   n basic blocks, 16w channels                                 [N,16w,32,32]
 *   stage 2   n basic blocks, 32w channels, the first with stride 2        [N,32w,16,16]
 *   stage 3   n basic blocks, 64w channels, the first with stride 2        [N,64w,8,8]
 *   head      global average pooling - dense softmax                       [N,classes]
 * </pre>
 * depth = 6n + 2 (ResNet-20: n = 3). A basic block is conv3x3-norm-ReLU-conv3x3-norm plus the shortcut, then
 * ReLU after the add. Where the shape changes (the first block of stages 2 and 3) the shortcut is a projection,
 * a 1x1 convolution with stride 2 followed by the norm (He et al.'s option B, the shortcut of the ResNets Wu &amp;
 * He trained); elsewhere it is the identity. Option A (zero-padded identity) would keep the published
 * parameter counts (0.27M for ResNet-20) exactly; the two projections add 2,560 weights and their norms'
 * parameters at width 1 (0.9% of ResNet-20), and let every norm kind, GroupNorm included, see the shortcut.
 *
 * <p>Convolutions pad explicitly (1 for 3x3, 0 for 1x1), so a stride-2 layer samples the same positions as
 * PyTorch's {@code Conv2d(padding=1, stride=2)}. With {@code zeroInitLastNorm} the last norm of each block starts
 * with γ = 0 (Goyal et al.; torchvision's {@code zero_init_residual}), so the residual branch is 0 and each block
 * computes ReLU(shortcut) at initialisation, which is the identity on the non-negative input of a block with an
 * identity shortcut. Without a norm ({@code none}) the same rule zeroes the block's last convolution (weights and
 * bias), which makes the branch 0 in the same way.
 */
public final class ResNet {
    private ResNet() {}

    /** Basic blocks per stage for a depth of 6n+2; IllegalArgumentException naming the key otherwise. */
    public static int blocksPerStage(int depth) {
        if (depth < 8 || (depth - 2) % 6 != 0) {
            throw new IllegalArgumentException("model-depth = " + depth
                    + ": a CIFAR ResNet has depth 6n+2 with n >= 1 (8, 14, 20, 32, 44, 56, 110, ...)");
        }
        return (depth - 2) / 6;
    }

    /** The channels of stage s (1, 2, 3) at width w: 16w, 32w, 64w, at least 1. */
    public static int stageChannels(int stage, double width) {
        return Math.max(1, (int) Math.round(16 * (1 << (stage - 1)) * width));
    }

    /** The channel count of every normalised layer, in build order. */
    static List<Integer> normalisedChannels(double width, int depth) {
        int n = blocksPerStage(depth);
        List<Integer> out = new ArrayList<>();
        int in = stageChannels(1, width);
        out.add(in);
        for (int s = 1; s <= 3; s++) {
            int c = stageChannels(s, width);
            for (int b = 1; b <= n; b++) {
                out.add(c);
                out.add(c);
                if (in != c || (s > 1 && b == 1)) {
                    out.add(c);
                }
                in = c;
            }
        }
        return out;
    }

    /** The name of block b (1-based) of stage s, e.g. {@code s2b1}. */
    public static String blockName(int stage, int block) {
        return "s" + stage + "b" + block;
    }

    /** Builds and initialises the graph described by the spec (its model must be {@link Model#RESNET}). */
    static ComputationGraph build(NetworkFactory.NetworkSpec s) {
        int n = blocksPerStage(s.depth());
        NormKind norm = s.norm();
        boolean normalised = norm != NormKind.NONE;
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(s.seed())
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                .updater(NetworkFactory.updater(s))
                .convolutionMode(ConvolutionMode.Truncate)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(s.height(), s.imageWidth(), s.channels()));
        Builder b = new Builder(g, s);
        String x = b.convNormRelu("stem", "input", stageChannels(1, s.width()), 3, 1, "stem-relu");
        int in = stageChannels(1, s.width());
        List<String> lastNorms = new ArrayList<>();
        for (int stage = 1; stage <= 3; stage++) {
            int c = stageChannels(stage, s.width());
            for (int block = 1; block <= n; block++) {
                String name = blockName(stage, block);
                int stride = stage > 1 && block == 1 ? 2 : 1;
                String h = b.convNormRelu(name + "-conv1", x, c, 3, stride, name + "-relu1");
                String branch = b.convNorm(name + "-conv2", h, c, 3, 1);
                lastNorms.add(branch); // the norm, or the convolution itself without one
                String shortcut = x;
                if (stride != 1 || in != c) {
                    shortcut = b.convNorm(name + "-proj", x, c, 1, stride);
                }
                if (NetworkFactory.fusedRelu()) {
                    // the add and the ReLU after it in one vertex (the same values, one pass over memory each way)
                    g.addVertex(name + "-relu", new AddRelu(), branch, shortcut);
                } else {
                    g.addVertex(name + "-add", new ElementWiseVertex(ElementWiseVertex.Op.Add), branch, shortcut);
                    g.addLayer(name + "-relu", new Relu.Builder().name(name + "-relu").build(), name + "-add");
                }
                x = name + "-relu";
                in = c;
            }
        }
        g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
        OutputLayer.Builder out = new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(s.classes())
                .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER);
        if (s.weightDecay() > 0) {
            out.regularization(List.of(new FusedL2(s.weightDecay())));
        }
        g.addLayer("output", out.build(), "pool");
        g.setOutputs("output");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        if (BlockUpdaters.enabled()) {
            BlockUpdaters.install(net);
        }
        if (s.zeroInitLastNorm()) {
            for (String layer : lastNorms) {
                var l = net.getLayer(layer);
                if (normalised) {
                    l.getParam("gamma").assign(0);
                } else {
                    l.getParam("W").assign(0);
                    l.getParam("b").assign(0);
                }
            }
        }
        return net;
    }

    /** Adds conv(-norm)(-ReLU) chains and returns the name of the last vertex added. */
    private static final class Builder {
        private final ComputationGraphConfiguration.GraphBuilder g;
        private final NetworkFactory.NetworkSpec s;

        Builder(ComputationGraphConfiguration.GraphBuilder g, NetworkFactory.NetworkSpec s) {
            this.g = g;
            this.s = s;
        }

        String convNorm(String name, String input, int channels, int kernel, int stride) {
            return convNorm(name, input, channels, kernel, stride, false);
        }

        /** conv-norm, the norm with a ReLU fused into it when {@code relu}; the name of the last vertex added. */
        private String convNorm(String name, String input, int channels, int kernel, int stride, boolean relu) {
            boolean normalised = s.norm() != NormKind.NONE;
            ConvolutionLayer.Builder conv = new Conv2D.Builder(kernel, kernel).stride(stride, stride)
                    .padding(kernel / 2, kernel / 2).nOut(channels).hasBias(!normalised)
                    .activation(Activation.IDENTITY).name(name);
            if (s.weightDecay() > 0) {
                conv.regularization(List.of(new FusedL2(s.weightDecay()))); // weights only: DL4J's l2 leaves biases (l2Bias) and norm γ/β alone
            }
            g.addLayer(name, conv.build(), input);
            if (!normalised) {
                return name;
            }
            String normName = name + "-" + s.norm().id();
            g.addLayer(normName, NetworkFactory.normLayer(s.norm(), s.groups(), channels, normName, relu), name);
            return normName;
        }

        /**
         * conv-norm-ReLU: the ReLU fused into the norm where there is one ({@link NetworkFactory#fusedRelu}), else a
         * ReLU layer named {@code reluName}; returns the name of the last vertex added.
         */
        String convNormRelu(String name, String input, int channels, int kernel, int stride, String reluName) {
            if (s.norm() != NormKind.NONE && NetworkFactory.fusedRelu()) {
                return convNorm(name, input, channels, kernel, stride, true);
            }
            String last = convNorm(name, input, channels, kernel, stride, false);
            g.addLayer(reluName, new Relu.Builder().name(reluName).build(), last);
            return reluName;
        }
    }
}
