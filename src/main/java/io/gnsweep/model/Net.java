package io.gnsweep.model;

import io.gnsweep.layer.Conv2DLayer;
import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A built network of either DL4J kind (a {@link MultiLayerNetwork} for the plain CNNs, a {@link ComputationGraph}
 * for the ResNet), seen through the few calls a trial makes, so that training, evaluation and benchmarks treat
 * both alike.
 */
public interface Net {
    /** One training step on a mini-batch (NCHW features, one-hot labels). */
    void fit(INDArray features, INDArray labels);

    /** The last step's loss, including the regularisation term DL4J adds to it (see {@link #regularization}). */
    double score();

    /** The weight-decay term DL4J adds to {@link #score()} for the current parameters (0 without decay). */
    double regularization();

    /** Class probabilities in inference mode. */
    INDArray output(INDArray features);

    /** Class probabilities in training mode (batch statistics), without updating anything. */
    INDArray outputTraining(INDArray features);

    long numParams();

    /** Parameters by DL4J's names ({@code 0_W} for a network, {@code stem_W} for a graph): views, not copies. */
    Map<String, INDArray> paramTable();

    /** The DL4J object itself. */
    org.deeplearning4j.nn.api.Model dl4j();

    /**
     * Frees the native resources its layers hold beyond ND4J's arrays (the convolutions' oneDNN plans) now instead
     * of when the network is collected. The network stays usable: what it needs again is made on first use.
     */
    default void release() {
        Layer[] layers = dl4j() instanceof ComputationGraph g ? g.getLayers()
                : ((MultiLayerNetwork) dl4j()).getLayers();
        for (Layer l : layers) {
            if (l instanceof Conv2DLayer c) {
                c.releasePlans();
            }
        }
        Conv2DLayer.releaseThreadBuffers();
    }

    /**
     * Wraps a multi-layer network. Its first layer, where it is a {@link Conv2DLayer} fed the input directly,
     * no longer computes the gradient with respect to that input (see {@link Conv2DLayer#setInputGradient}):
     * training never uses it, and DL4J's {@code fit} drops it.
     */
    static Net of(MultiLayerNetwork n) {
        if (n.getLayers().length > 0 && n.getLayer(0) instanceof Conv2DLayer c
                && n.getLayerWiseConfigurations().getInputPreProcess(0) == null) {
            c.setInputGradient(false);
        }
        return new Net() {
            @Override public void fit(INDArray x, INDArray y) { n.fit(x, y); }
            @Override public double score() { return n.score(); }
            @Override public double regularization() { return n.calcRegularizationScore(true); }
            @Override public INDArray output(INDArray x) { return n.output(x, false); }
            @Override public INDArray outputTraining(INDArray x) { return n.output(x, true); }
            @Override public long numParams() { return n.numParams(); }
            @Override public Map<String, INDArray> paramTable() { return n.paramTable(); }
            @Override public org.deeplearning4j.nn.api.Model dl4j() { return n; }
        };
    }

    /**
     * Wraps a graph with one input and one output. Its {@link Conv2DLayer}s fed a network input directly no
     * longer compute the gradient with respect to it, as for a multi-layer network.
     */
    static Net of(ComputationGraph g) {
        for (GraphVertex v : g.getVertices()) {
            if (v instanceof LayerVertex lv && lv.getLayer() instanceof Conv2DLayer c && lv.getLayerPreProcessor() == null
                    && lv.getInputVertices() != null && lv.getInputVertices().length > 0
                    && Arrays.stream(lv.getInputVertices()).allMatch(i -> g.getVertices()[i.getVertexIndex()].isInputVertex())) {
                c.setInputGradient(false);
            }
        }
        return new Net() {
            @Override public void fit(INDArray x, INDArray y) { g.fit(new INDArray[] {x}, new INDArray[] {y}); }
            @Override public double score() { return g.score(); }
            @Override public double regularization() { return g.calcRegularizationScore(true); }
            @Override public INDArray output(INDArray x) { return g.output(false, x)[0]; }
            @Override public INDArray outputTraining(INDArray x) { return g.output(true, x)[0]; }
            @Override public long numParams() { return g.numParams(); }
            @Override public Map<String, INDArray> paramTable() { return g.paramTable(); }
            @Override public org.deeplearning4j.nn.api.Model dl4j() { return g; }
        };
    }
}
