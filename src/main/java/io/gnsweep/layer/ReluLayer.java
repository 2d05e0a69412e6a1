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
 * else DL4J's {@code ActivationLayer} code. Dropout, if configured, is applied and backpropagated as DL4J does.
 */
public class ReluLayer extends ActivationLayer {

    public ReluLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        if (!NativeKernels.use(dataType)) {
            return super.activate(training, workspaceMgr);
        }
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        INDArray x = GroupNormLayer.contiguous(input.castTo(dataType));
        INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
        NativeKernels.relu(x, y);
        return y;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (!NativeKernels.use(dataType)) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        assertInputSet(true);
        INDArray x = GroupNormLayer.contiguous(input.castTo(dataType));
        INDArray dy = GroupNormLayer.contiguous(epsilon.castTo(dataType));
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        NativeKernels.reluBackward(x, dy, dx);
        return new Pair<>(new DefaultGradient(), backpropDropOutIfPresent(dx));
    }
}
