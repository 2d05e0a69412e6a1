package io.gnsweep.layer;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.ActivationLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The computation of a {@link Relu} layer: the fused CPU kernels where {@link NativeKernels#use} allows,
 * else DL4J's {@code ActivationLayer} code. Dropout, if configured (on the layer or for the whole network), is
 * applied to the input in training and backpropagated on both paths, as DL4J's dense and convolution layers do
 * (DL4J's own ActivationLayer ignores it).
 */
public class ReluLayer extends ActivationLayer {

    public ReluLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        if (!NativeKernels.use(dataType)) {
            return super.activate(training, workspaceMgr);
        }
        INDArray in = input.castTo(dataType);
        char order = order(in);
        INDArray x = LayerPlumbing.contiguous(in, order);
        INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), order);
        NativeKernels.relu(x, y);
        return y;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (!NativeKernels.use(dataType)) {
            Pair<Gradient, INDArray> out = super.backpropGradient(epsilon, workspaceMgr);
            return new Pair<>(out.getFirst(), backpropDropOutIfPresent(out.getSecond()));
        }
        assertInputSet(true);
        INDArray in = input.castTo(dataType);
        char order = order(in);
        INDArray x = LayerPlumbing.contiguous(in, order);
        INDArray dy = LayerPlumbing.contiguous(epsilon.castTo(dataType), order);
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), order);
        NativeKernels.reluBackward(x, dy, dx);
        return new Pair<>(new DefaultGradient(), backpropDropOutIfPresent(dx));
    }

    /** The memory order the kernels run in: x's own when x is dense in F order only (a dense layer's output), else C. */
    private static char order(INDArray x) {
        return !NativeKernels.isDense(x, 'c') && NativeKernels.isDense(x, 'f') ? 'f' : 'c';
    }
}
