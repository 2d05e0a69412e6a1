package io.gnsweep.layer;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What gnsweep's hand-written layers (GroupNorm, ReLU) share besides their arithmetic: setting up a layer
 * implementation as DL4J's own {@code instantiate} does, and the dense arrays the fused kernels read.
 */
final class LayerPlumbing {
    private LayerPlumbing() {}

    /** Sets up a new layer implementation as DL4J's {@code instantiate} does: listeners, index, parameters. */
    static Layer wire(Layer layer, ParamInitializer initializer, NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners, int layerIndex, INDArray paramsView, boolean initializeParams) {
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(paramsView);
        layer.setParamTable(initializer.init(conf, paramsView, initializeParams));
        layer.setConf(conf);
        return layer;
    }

    /** a itself when it is dense in C order ({@link NativeKernels#isDense}), else a C-ordered copy. */
    static INDArray contiguous(INDArray a) {
        return contiguous(a, 'c');
    }

    /** a itself when it is dense in this order ('c' or 'f'), else a copy in it. */
    static INDArray contiguous(INDArray a, char order) {
        return NativeKernels.isDense(a, order) ? a : a.dup(order);
    }
}
