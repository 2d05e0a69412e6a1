package io.gnsweep.train;

import io.gnsweep.model.Net;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A DL4J network of either kind (a {@link MultiLayerNetwork} or a single-input, single-output
 * {@link ComputationGraph}) as the PyTorch check uses it: {@link Net}'s training calls plus copies, float64
 * conversion, the scheduler's counters, and its layers under the names {@link TorchExchange} gives their nodes
 * ({@code <index>_<layer name>} in a network, the vertex name in a graph), in the order the manifest lists them
 * (a graph's in its topological order).
 */
record TorchNet(Net net) {
    static TorchNet of(Model m) {
        if (m instanceof MultiLayerNetwork n) {
            return new TorchNet(Net.of(n));
        }
        if (m instanceof ComputationGraph g) {
            if (g.getConfiguration().getNetworkInputs().size() != 1
                    || g.getConfiguration().getNetworkOutputs().size() != 1) {
                throw new IllegalArgumentException("a graph with " + g.getConfiguration().getNetworkInputs()
                        + " inputs and " + g.getConfiguration().getNetworkOutputs() + " outputs has no replica");
            }
            return new TorchNet(Net.of(g));
        }
        throw new IllegalArgumentException(m.getClass().getSimpleName() + " has no replica");
    }

    Model dl4j() {
        return net.dl4j();
    }

    TorchNet copy() {
        return dl4j() instanceof MultiLayerNetwork n ? of(n.clone()) : of(((ComputationGraph) dl4j()).clone());
    }

    TorchNet convert(DataType type) {
        return dl4j() instanceof MultiLayerNetwork n ? of(n.convertDataType(type))
                : of(((ComputationGraph) dl4j()).convertDataType(type));
    }

    DataType dataType() {
        return dl4j().params().dataType();
    }

    int iterationCount() {
        return dl4j() instanceof MultiLayerNetwork n ? n.getIterationCount()
                : ((ComputationGraph) dl4j()).getConfiguration().getIterationCount();
    }

    int epochCount() {
        return dl4j() instanceof MultiLayerNetwork n ? n.getEpochCount()
                : ((ComputationGraph) dl4j()).getConfiguration().getEpochCount();
    }

    /** Every layer by its node name, in the manifest's order. */
    Map<String, Layer> layers() {
        Map<String, Layer> out = new LinkedHashMap<>();
        if (dl4j() instanceof MultiLayerNetwork n) {
            for (int i = 0; i < n.getnLayers(); i++) {
                out.put(i + "_" + n.getLayer(i).conf().getLayer().getLayerName(), n.getLayer(i));
            }
            return out;
        }
        ComputationGraph g = (ComputationGraph) dl4j();
        for (int i : g.topologicalSortOrder()) {
            GraphVertex v = g.getVertices()[i];
            if (v.hasLayer()) {
                out.put(v.getVertexName(), v.getLayer());
            }
        }
        return out;
    }

    /** The loss at the current weights on one batch (training mode: batch statistics), regularisation included. */
    double score(INDArray features, INDArray labels) {
        DataSet d = new DataSet(features, labels);
        return dl4j() instanceof MultiLayerNetwork n ? n.score(d, true) : ((ComputationGraph) dl4j()).score(d, true);
    }
}
