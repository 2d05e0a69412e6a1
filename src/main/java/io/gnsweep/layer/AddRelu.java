package io.gnsweep.layer;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A residual add with the ReLU after it, as one graph vertex: y = max(a + b, 0). It computes what DL4J's
 * {@code ElementWiseVertex(Op.Add)} followed by a ReLU layer ({@link Relu}) computes, to the bit (the sum in the
 * arrays' type, as ND4J adds them; gradient dy where a + b > 0, else 0, to both inputs), in one pass over memory
 * each way where the two take four forward and three backward, and one vertex and one array instead of two.
 * The computation is {@link AddReluVertex}'s: gnsweep's fused CPU kernels where {@link NativeKernels#use} allows,
 * else ND4J's add and DL4J's ReLU activation. Exactly two inputs of one shape; no parameters.
 * {@code graph.addVertex("s1b1-relu", new AddRelu(), "s1b1-conv2-group", "stem-group")}.
 */
public class AddRelu extends GraphVertex {

    private static final long serialVersionUID = 1L;

    @Override
    public AddRelu clone() {
        return new AddRelu();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AddRelu;
    }

    @Override
    public int hashCode() {
        return AddRelu.class.hashCode();
    }

    @Override
    public long numParams(boolean backprop) {
        return 0;
    }

    @Override
    public int minVertexInputs() {
        return 2;
    }

    @Override
    public int maxVertexInputs() {
        return 2;
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
            INDArray paramsView, boolean initializeParams, DataType networkDatatype) {
        return new AddReluVertex(graph, name, idx, networkDatatype);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType... vertexInputs) throws InvalidInputTypeException {
        if (vertexInputs.length != 2) {
            throw new InvalidInputTypeException("AddRelu takes 2 inputs, got " + vertexInputs.length);
        }
        if (!vertexInputs[0].equals(vertexInputs[1])
                || !Arrays.equals(vertexInputs[0].getShape(true), vertexInputs[1].getShape(true))) {
            throw new InvalidInputTypeException("AddRelu: inputs of different types " + vertexInputs[0] + " and "
                    + vertexInputs[1]);
        }
        return vertexInputs[0];
    }

    @Override
    public MemoryReport getMemoryReport(InputType... inputTypes) {
        InputType out = getOutputType(-1, inputTypes);
        return new LayerMemoryReport.Builder(null, AddRelu.class, inputTypes[0], out).standardMemory(0, 0)
                .workingMemory(0, 0, 0, 0).cacheMemory(0, 0).build();
    }

    @Override
    public String toString() {
        return "AddRelu()";
    }
}
