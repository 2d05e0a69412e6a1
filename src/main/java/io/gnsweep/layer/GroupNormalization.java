package io.gnsweep.layer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.L1Regularization;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/**
 * Group Normalization (Wu &amp; He, 2018) as a Deeplearning4j layer configuration.
 *
 * <p>For each sample the C channels are split into G contiguous groups, and each group is normalised
 * over its own values: with S_i = { k : k_N = i_N, ⌊k_C / (C/G)⌋ = ⌊i_C / (C/G)⌋ } (same sample, same
 * group; all H, W positions),
 * <pre>
 *   μ_i = mean_{k∈S_i} x_k,   σ²_i = mean_{k∈S_i} (x_k − μ_i)²   (biased)
 *   x̂_i = (x_i − μ_i) / sqrt(σ²_i + eps),   y_i = γ_c · x̂_i + β_c
 * </pre>
 * γ ({@code gamma}, initialised to 1) and β ({@code beta}, initialised to 0) hold one value per channel.
 * There are no running statistics: training and inference compute the same thing. G = 1 is LayerNorm
 * over (C, H, W); G = C is InstanceNorm. G must divide C.
 *
 * <p>Input: NCHW activations after a convolution layer ({@code InputType.convolutional}) or rank-2
 * [N, C] activations after a dense layer. Use it like DL4J's BatchNormalization:
 * <pre>{@code new GroupNormalization.Builder().groups(32).eps(1e-5).build()}</pre>
 *
 * <p>{@code relu(true)} fuses a ReLU into the layer: y = max(γ_c · x̂_i + β_c, 0), the values of this layer followed by
 * a ReLU layer ({@link Relu}, DL4J's {@code ActivationLayer} with ReLU), computed in the same pass over memory and
 * backpropagated through the same mask (y > 0); one array and one graph vertex fewer per normalised layer. The
 * layer's {@code activation} setting (which DL4J's builders give every layer, sigmoid by default) is not read: the
 * output is the normalised value, or its ReLU with {@code relu(true)}.
 *
 * <p>Of the settings DL4J's builders offer every layer (on this builder, or for all layers on
 * {@code NeuralNetConfiguration.Builder}): dropout is applied as DL4J's dense and convolution layers apply it,
 * to the input in training (and backpropagated); updater, gradient normalisation and constraints act on γ and β
 * as on any parameter. L1, L2 and weight decay (for weights or biases) and weight noise are refused when the
 * network is built, naming the layer and the setting: γ and β are never regularised (in DL4J's own
 * BatchNormalization they are neither weights nor biases, so such a setting does nothing), and a setting that
 * silently did nothing would look like one that worked. Set them on the convolution and dense layers instead.
 */
public class GroupNormalization extends FeedForwardLayer {

    private static final long serialVersionUID = 1L;

    /**
     * System property: {@code false} makes GroupNorm layers run their ND4J operations instead of the fused CPU
     * kernels (which they use by default on ND4J's CPU backend, where the kernels were built); read on every
     * forward and backward pass.
     */
    public static final String NATIVE_KERNELS_PROPERTY = NativeKernels.PROPERTY;

    /** Number of groups G; must divide the channel count. */
    protected int groups = 32;
    /** Added to the variance before the square root, for numerical safety. */
    protected double eps = 1e-5;
    /** Whether a ReLU follows the normalisation inside the layer (false: the normalised values). */
    protected boolean relu;

    /** For JSON deserialisation; the defaults are those of {@link Builder}. */
    public GroupNormalization() {
        this(new Builder());
    }

    private GroupNormalization(Builder builder) {
        super(builder);
        this.groups = builder.groups;
        this.eps = builder.eps;
        this.relu = builder.relu;
        initializeConstraints(builder);
    }

    public int getGroups() {
        return groups;
    }

    public void setGroups(int groups) {
        this.groups = groups;
    }

    public double getEps() {
        return eps;
    }

    public void setEps(double eps) {
        this.eps = eps;
    }

    public boolean isRelu() {
        return relu;
    }

    public void setRelu(boolean relu) {
        this.relu = relu;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof GroupNormalization) || !super.equals(o)) {
            return false;
        }
        GroupNormalization other = (GroupNormalization) o;
        return groups == other.groups && Double.compare(eps, other.eps) == 0 && relu == other.relu;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * super.hashCode() + groups) + Double.hashCode(eps)) + Boolean.hashCode(relu);
    }

    @Override
    public GroupNormalization clone() {
        return (GroupNormalization) super.clone();
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners, int layerIndex, INDArray paramsView,
            boolean initializeParams, DataType networkDataType) {
        checkGroups(layerIndex, nOut);
        checkSettings(layerIndex);
        return LayerPlumbing.wire(new GroupNormLayer(conf, networkDataType), initializer(), conf, listeners,
                layerIndex, paramsView, initializeParams);
    }

    @Override
    public ParamInitializer initializer() {
        return GroupNormParamInitializer.getInstance();
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        checkGroups(layerIndex, channelsOf(inputType));
        checkSettings(layerIndex);
        return inputType;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (nIn <= 0 || override) {
            nIn = channelsOf(inputType);
            nOut = nIn;
        }
        checkGroups(-1, nIn);
    }

    /** Channels of an input type this layer accepts; refuses the others with the reason. */
    private long channelsOf(InputType inputType) {
        if (inputType == null) {
            throw new IllegalStateException(describe(-1) + ": no input type");
        }
        switch (inputType.getType()) {
            case FF:
                return ((InputType.InputTypeFeedForward) inputType).getSize();
            case CNN: {
                InputType.InputTypeConvolutional cnn = (InputType.InputTypeConvolutional) inputType;
                if (cnn.getFormat() != CNN2DFormat.NCHW) {
                    throw new IllegalStateException(describe(-1) + ": only NCHW activations are supported, got "
                            + cnn.getFormat());
                }
                return cnn.getChannels();
            }
            case CNNFlat:
                return ((InputType.InputTypeConvolutionalFlat) inputType).getDepth();
            default:
                throw new IllegalStateException(describe(-1) + ": expected convolutional (NCHW) or feed-forward"
                        + " input, got " + inputType);
        }
    }

    /** Refuses a group count that does not split the channels evenly, naming the layer, C and G. */
    void checkGroups(int layerIndex, long channels) {
        if (groups < 1) {
            throw new IllegalArgumentException(describe(layerIndex) + ": groups must be >= 1, got G = " + groups);
        }
        if (channels > 0 && channels % groups != 0) {
            throw new IllegalArgumentException(describe(layerIndex) + ": the number of groups G = " + groups
                    + " does not divide the number of channels C = " + channels);
        }
    }

    /**
     * Refuses the settings this layer cannot honour (see the class comment), whether set on its builder or
     * inherited from {@code NeuralNetConfiguration.Builder}: checked when a configuration with input types is
     * built and again when a network is initialised.
     */
    void checkSettings(int layerIndex) {
        List<String> refused = new ArrayList<>();
        describe(regularization, "", refused);
        describe(regularizationBias, "Bias", refused);
        if (weightNoise != null) {
            refused.add("weightNoise " + weightNoise);
        }
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException(describe(layerIndex) + ": " + String.join(", ", refused)
                    + " not supported: GroupNorm's γ and β are never regularised or perturbed. Set it on the"
                    + " convolution and dense layers, not on this layer nor on NeuralNetConfiguration.Builder,"
                    + " whose settings reach every layer");
        }
    }

    /** DL4J's builder names ({@code l2}, {@code weightDecayBias}, ...) and values of these regularisations. */
    private static void describe(List<Regularization> regs, String suffix, List<String> out) {
        if (regs == null) {
            return;
        }
        for (Regularization r : regs) {
            if (r instanceof L1Regularization l1) {
                out.add("l1" + suffix + " = " + l1.getL1().valueAt(0, 0));
            } else if (r instanceof L2Regularization l2) {
                out.add("l2" + suffix + " = " + l2.getL2().valueAt(0, 0));
            } else if (r instanceof WeightDecay wd) {
                out.add("weightDecay" + suffix + " = " + wd.getCoeff().valueAt(0, 0));
            } else {
                out.add("regularization" + suffix + " " + r);
            }
        }
    }

    private String describe(int layerIndex) {
        StringBuilder s = new StringBuilder("GroupNormalization layer");
        if (getLayerName() != null) {
            s.append(" \"").append(getLayerName()).append('"');
        }
        if (layerIndex >= 0) {
            s.append(" (index ").append(layerIndex).append(')');
        }
        return s.toString();
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        if (inputType != null && inputType.getType() == InputType.Type.CNNFlat) {
            InputType.InputTypeConvolutionalFlat flat = (InputType.InputTypeConvolutionalFlat) inputType;
            return new FeedForwardToCnnPreProcessor(flat.getHeight(), flat.getWidth(), flat.getDepth());
        }
        return null;
    }

    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        // γ and β are not weight-decayed, as in BatchNormalization and the paper (checkSettings refuses any)
        return null;
    }

    @Override
    public boolean isPretrainParam(String paramName) {
        return false;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        long perExample = inputType.arrayElementsPerExample();
        return new LayerMemoryReport.Builder(layerName, GroupNormalization.class, inputType, inputType)
                .standardMemory(initializer().numParams(this), 2 * initializer().numParams(this))
                .workingMemory(0, perExample, 0, 3 * perExample)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    /** DL4J-style builder: {@code new GroupNormalization.Builder().groups(8).eps(1e-5).build()}. */
    public static class Builder extends FeedForwardLayer.Builder<Builder> {
        private int groups = 32;
        private double eps = 1e-5;
        private boolean relu;

        /** Number of groups G (default 32, the paper's default); must divide the channel count. */
        public Builder groups(int groups) {
            this.groups = groups;
            return this;
        }

        /** Variance epsilon (default 1e-5). */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        /** A ReLU after the normalisation, fused into the layer (default false). */
        public Builder relu(boolean relu) {
            this.relu = relu;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public GroupNormalization build() {
            if (groups < 1) {
                throw new IllegalArgumentException("GroupNormalization: groups must be >= 1, got G = " + groups);
            }
            if (!(eps > 0)) {
                throw new IllegalArgumentException("GroupNormalization: eps must be > 0, got " + eps);
            }
            GroupNormalization layer = new GroupNormalization(this);
            if (layer.nOut <= 0 && layer.nIn > 0) {
                layer.nOut = layer.nIn;
            }
            layer.checkGroups(-1, layer.nOut);
            return layer;
        }
    }
}
