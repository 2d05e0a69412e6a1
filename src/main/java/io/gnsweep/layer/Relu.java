package io.gnsweep.layer;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A ReLU layer: DL4J's {@code ActivationLayer} with {@code Activation.RELU}, computing the same values, whose
 * forward and backward passes run the fused CPU kernels of {@link NativeKernels} where the GroupNorm layer's
 * do (ND4J's CPU backend, float or double; else DL4J's own code). DL4J's ReLU backward pass copies its input
 * and runs a per-op native context: 5x its forward pass, and 14% of a small CNN's {@code fit()} here
 * (README, "Speed"). Use it like DL4J's: {@code new Relu.Builder().name("relu1").build()}.
 *
 * <p>Dropout set for the whole network ({@code NeuralNetConfiguration.Builder.dropOut}) reaches this layer and is
 * applied to its input in training, on both paths ({@link ReluLayer}); DL4J's ActivationLayer ignores it. The
 * layer has no parameters: L1/L2, weight decay and weight noise do not reach it (DL4J copies them only to layers
 * with weights).
 */
public class Relu extends ActivationLayer {

    private static final long serialVersionUID = 1L;

    /** For JSON deserialisation. */
    public Relu() {
        super(Activation.RELU);
    }

    private Relu(Builder builder) {
        super(Activation.RELU);
        setLayerName(builder.name);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners, int layerIndex, INDArray paramsView, boolean initializeParams,
            DataType networkDataType) {
        return LayerPlumbing.wire(new ReluLayer(conf, networkDataType), initializer(), conf, listeners, layerIndex,
                paramsView, initializeParams);
    }

    @Override
    public Relu clone() {
        return (Relu) super.clone();
    }

    /** {@code new Relu.Builder().name("b1c1-relu").build()}. */
    public static class Builder {
        private String name;

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Relu build() {
            return new Relu(this);
        }
    }
}
