package io.gnsweep.layer;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A max-pooling layer: DL4J's {@link SubsamplingLayer} with {@code PoolingType.MAX}, the same configuration and
 * values (ties included: a window's gradient goes to its first largest value), whose forward and backward passes
 * run fused CPU kernels ({@link PoolKernels}) where the GroupNorm layer's do and the window needs no padding or
 * dilation (ND4J's CPU backend, float or double, NCHW); elsewhere DL4J's own code runs. It is a
 * {@code SubsamplingLayer}, so whatever reads DL4J's pooling settings reads these.
 * Use it like DL4J's: {@code new MaxPool.Builder().kernelSize(2, 2).stride(2, 2).name("pool1").build()}.
 */
public class MaxPool extends SubsamplingLayer {
    private static final long serialVersionUID = 1L;

    /** For JSON deserialisation. */
    public MaxPool() {
        setPoolingType(org.deeplearning4j.nn.conf.layers.PoolingType.MAX);
    }

    private MaxPool(Builder builder) {
        super(builder);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners, int layerIndex, INDArray paramsView, boolean initializeParams,
            DataType networkDataType) {
        return LayerPlumbing.wire(new MaxPoolLayer(conf, networkDataType), initializer(), conf, listeners, layerIndex,
                paramsView, initializeParams);
    }

    @Override
    public MaxPool clone() {
        return (MaxPool) super.clone();
    }

    /** DL4J's SubsamplingLayer builder, fixed to max pooling. */
    public static class Builder extends SubsamplingLayer.Builder {
        public Builder() {
            super(org.deeplearning4j.nn.conf.layers.SubsamplingLayer.PoolingType.MAX);
        }

        @Override
        @SuppressWarnings("unchecked")
        public MaxPool build() {
            super.build(); // DL4J's validation of kernel, stride, padding and mode
            return new MaxPool(this);
        }
    }
}
