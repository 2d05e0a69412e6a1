package io.gnsweep.layer;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A 2-D convolution: DL4J's {@link ConvolutionLayer}, the same configuration, parameters and initialisation, whose
 * passes run oneDNN primitives made once per input shape and kept ({@link ConvKernels}) where they apply: float32
 * on ND4J's CPU backend, NCHW, no dilation, identity activation, no dropout or weight noise, and the oneDNN
 * library loaded; elsewhere (the CUDA backend, double precision for gradient checks, any other setting) DL4J's own
 * code runs. Use it like DL4J's: {@code new Conv2D.Builder(3, 3).stride(1, 1).padding(1, 1).nOut(16).build()}.
 */
public class Conv2D extends ConvolutionLayer {
    private static final long serialVersionUID = 1L;

    /**
     * System property: {@code false} makes every Conv2D run DL4J's convolution even where the oneDNN path applies
     * (read on every call, so that a benchmark can compare the two in one JVM).
     */
    public static final String DNNL_PROPERTY = ConvKernels.PROPERTY;

    /** For JSON deserialisation. */
    public Conv2D() {}

    private Conv2D(Builder builder) {
        super(builder);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners, int layerIndex, INDArray paramsView, boolean initializeParams,
            DataType networkDataType) {
        LayerValidation.assertNInNOutSet("Conv2D", getLayerName(), layerIndex, getNIn(), getNOut());
        return LayerPlumbing.wire(new Conv2DLayer(conf, networkDataType), initializer(), conf, listeners, layerIndex,
                paramsView, initializeParams);
    }

    @Override
    public Conv2D clone() {
        return (Conv2D) super.clone();
    }

    /** DL4J's ConvolutionLayer builder, building a {@link Conv2D}. */
    public static class Builder extends ConvolutionLayer.Builder {
        public Builder(int... kernelSize) {
            super(kernelSize);
        }

        @Override
        @SuppressWarnings("unchecked")
        public Conv2D build() {
            super.build(); // DL4J's validation of kernel, stride, padding and mode
            return new Conv2D(this);
        }
    }
}
