package io.gnsweep.layer;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.BaseGraphVertex;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The computation of an {@link AddRelu} vertex: the fused CPU kernels of {@link NativeKernels} where they apply
 * (ND4J's CPU backend, float or double, {@value NativeKernels#PROPERTY} not {@code false}; read at each pass),
 * else the operations of DL4J's own add vertex and ReLU layer: a copy of the first input plus the second, then
 * DL4J's ReLU activation; backward, DL4J's ReLU backward on the sum again, copied to each input's gradient.
 */
public class AddReluVertex extends BaseGraphVertex {
    private static final ActivationReLU RELU = new ActivationReLU();

    public AddReluVertex(ComputationGraph graph, String name, int vertexIndex, DataType dataType) {
        super(graph, name, vertexIndex, null, null, dataType);
    }

    @Override
    public boolean hasLayer() {
        return false;
    }

    @Override
    public Layer getLayer() {
        return null;
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        if (!canDoForward()) {
            throw new IllegalStateException("AddRelu vertex \"" + vertexName + "\": inputs not set");
        }
        INDArray a = input(0);
        INDArray b = input(1);
        if (NativeKernels.use(dataType)) {
            INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, a.shape(), 'c');
            NativeKernels.addRelu(a, b, y);
            return y;
        }
        INDArray y = workspaceMgr.dup(ArrayType.ACTIVATIONS, a);
        y.addi(b);
        return RELU.getActivation(y, training);
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
        if (!canDoBackward()) {
            throw new IllegalStateException("AddRelu vertex \"" + vertexName + "\": inputs or epsilon not set");
        }
        INDArray a = input(0);
        INDArray b = input(1);
        INDArray dy = LayerPlumbing.contiguous(epsilon.castTo(dataType));
        if (NativeKernels.use(dataType)) {
            INDArray da = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, a.shape(), 'c');
            INDArray db = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, a.shape(), 'c');
            NativeKernels.addReluBackward(a, b, dy, da, db);
            return new Pair<>(null, new INDArray[] {da, db});
        }
        INDArray sum = workspaceMgr.dup(ArrayType.BP_WORKING_MEM, a);
        sum.addi(b);
        INDArray g = RELU.backprop(sum, dy).getFirst();
        return new Pair<>(null, new INDArray[] {workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, g),
                workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, g)});
    }

    /** Input i in the network's type, C-ordered and dense; the two must have one shape. */
    private INDArray input(int i) {
        INDArray x = LayerPlumbing.contiguous(inputs[i].castTo(dataType));
        if (i == 1 && !java.util.Arrays.equals(x.shape(), inputs[0].shape())) {
            throw new IllegalStateException("AddRelu vertex \"" + vertexName + "\": inputs of shapes "
                    + java.util.Arrays.toString(inputs[0].shape()) + " and " + java.util.Arrays.toString(x.shape()));
        }
        return x;
    }

    @Override
    public void setBackpropGradientsViewArray(INDArray backpropGradientsViewArray) {
        if (backpropGradientsViewArray != null) {
            throw new IllegalStateException("AddRelu vertex \"" + vertexName + "\" has no parameters");
        }
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArrays(INDArray[] maskArrays, MaskState currentMaskState,
            int minibatchSize) {
        if (maskArrays != null) {
            for (INDArray m : maskArrays) {
                if (m != null) {
                    throw new UnsupportedOperationException("AddRelu vertex \"" + vertexName
                            + "\": mask arrays (time series) are not supported");
                }
            }
        }
        return new Pair<>(null, currentMaskState);
    }

    @Override
    public String toString() {
        return "AddReluVertex(id=" + vertexIndex + ",name=\"" + vertexName + "\")";
    }
}
