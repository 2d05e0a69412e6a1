package io.gnsweep.optim;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's network updaters on the path DL4J means for a network's own gradient.
 *
 * <p>DL4J's updater takes a gradient for "external" (computed by another network, as RL4J does) when
 * {@code gradient.gradient()} is not the very object of the network's flattened gradient view; in 1.0.0-M2.1 that
 * call returns a new reshaped view on every call, so every step takes the external path: for every parameter array,
 * before and after the updater, it cuts new views of the whole parameter and gradient arrays (four per array per
 * step), and it cuts the minibatch division's views again. At batch 2 that bookkeeping was a fifth of a ResNet-20
 * step. These updaters hand DL4J's code the network's own view when the step's gradient is that same memory, so the
 * standard path runs on the views made once when the updater is built: the same operations on the same numbers.
 * A gradient over other memory still takes DL4J's external path. Every network gnsweep builds gets one unless
 * {@link #PROPERTY} is false.
 */
public final class BlockUpdaters {
    /** {@code -Dgnsweep.optim.blockUpdaters=false} leaves DL4J's own updaters (for comparisons). */
    public static final String PROPERTY = "gnsweep.optim.blockUpdaters";

    private BlockUpdaters() {}

    /** Whether the networks gnsweep builds get these updaters (see {@link #PROPERTY}). */
    public static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim());
    }

    /** Gives the network this updater (before training: its state starts as DL4J's would). */
    public static void install(MultiLayerNetwork net) {
        net.setUpdater(new ForNetwork(net));
    }

    /** Gives the graph this updater (before training: its state starts as DL4J's would). */
    public static void install(ComputationGraph graph) {
        graph.setUpdater(new ForGraph(graph));
    }

    /** Whether the network's updater is one of these. */
    public static boolean installed(MultiLayerNetwork net) {
        return net.getUpdater() instanceof ForNetwork;
    }

    /** Whether the graph's updater is one of these. */
    public static boolean installed(ComputationGraph graph) {
        return graph.getUpdater() instanceof ForGraph;
    }

    /** The step's gradient with the network's own view object when it is the same memory, else unchanged. */
    static Gradient own(Gradient g, INDArray view) {
        INDArray flat = g.gradient();
        if (flat == view || flat == null || view == null || flat.dataType() != view.dataType()
                || flat.data().address() != view.data().address() || flat.offset() != view.offset()
                || flat.length() != view.length() || flat.elementWiseStride() != 1 || view.elementWiseStride() != 1) {
            return g; // (a reshaped view is a new DataBuffer object over the same memory: compared by address)
        }
        return new OwnView(g, view);
    }

    /** The network's fused step (FusedStep), or null where its steps are DL4J's. */
    static FusedStep fusedStep(MultiLayerNetwork net) {
        return net.getUpdater() instanceof ForNetwork u ? u.stepping.step : null;
    }

    /** The graph's fused step (FusedStep), or null where its steps are DL4J's. */
    static FusedStep fusedStep(ComputationGraph graph) {
        return graph.getUpdater() instanceof ForGraph u ? u.stepping.step : null;
    }

    private static final class ForNetwork extends MultiLayerUpdater {
        private final Stepping stepping = new Stepping();

        ForNetwork(MultiLayerNetwork net) {
            super(net);
        }

        @Override
        public synchronized void update(Gradient gradient, int iteration, int epoch, int batchSize,
                                        LayerWorkspaceMgr workspaceMgr) {
            stepping.update(own(gradient, getFlattenedGradientsView()), batchSize, isMiniBatch(),
                    () -> FusedStep.install(FusedStep.optimizerOf(network), getUpdaterBlocks(), network.params(),
                            getFlattenedGradientsView(), getMinibatchDivisionSubsets(getFlattenedGradientsView())),
                    g -> super.update(g, iteration, epoch, batchSize, workspaceMgr));
        }

        @Override
        protected void divideByMinibatch(boolean isExternal, Gradient gradient, int batchSize) {
            if (!stepping.divide(isExternal, batchSize)) {
                super.divideByMinibatch(isExternal, gradient, batchSize);
            }
        }
    }

    private static final class ForGraph extends ComputationGraphUpdater {
        private final Stepping stepping = new Stepping();

        ForGraph(ComputationGraph graph) {
            super(graph);
        }

        @Override
        public synchronized void update(Gradient gradient, int iteration, int epoch, int batchSize,
                                        LayerWorkspaceMgr workspaceMgr) {
            stepping.update(own(gradient, getFlattenedGradientsView()), batchSize, isMiniBatch(),
                    () -> FusedStep.install(FusedStep.optimizerOf(network), getUpdaterBlocks(), network.params(),
                            getFlattenedGradientsView(), getMinibatchDivisionSubsets(getFlattenedGradientsView())),
                    g -> super.update(g, iteration, epoch, batchSize, workspaceMgr));
        }

        @Override
        protected void divideByMinibatch(boolean isExternal, Gradient gradient, int batchSize) {
            if (!stepping.divide(isExternal, batchSize)) {
                super.divideByMinibatch(isExternal, gradient, batchSize);
            }
        }
    }

    /**
     * What both updaters do around DL4J's update: the network's fused step, installed on the first update, armed
     * for an update of the network's own gradient (its standard path), and the division by the batch size left to
     * it while armed.
     */
    private static final class Stepping {
        private FusedStep step;
        private boolean tried;
        private FusedStep armed;

        void update(Gradient g, int batchSize, boolean miniBatch, java.util.function.Supplier<FusedStep> install,
                    java.util.function.Consumer<Gradient> dl4jUpdate) {
            if (!tried) {
                tried = true;
                step = install.get();
            }
            if (step == null || !(g instanceof OwnView) || !miniBatch) {
                dl4jUpdate.accept(g);
                return;
            }
            armed = step;
            try {
                step.armed(batchSize, () -> dl4jUpdate.accept(g));
            } finally {
                armed = null;
            }
        }

        /** Whether the armed step took the division (of what its kernels do not divide themselves). */
        boolean divide(boolean isExternal, int batchSize) {
            if (armed == null || isExternal) {
                return false;
            }
            armed.divide(batchSize);
            return true;
        }
    }

    /** A gradient whose flattened form is the given view object; everything else is the original's. */
    private record OwnView(Gradient g, INDArray view) implements Gradient {
        @Override
        public Map<String, INDArray> gradientForVariable() {
            return g.gradientForVariable();
        }

        @Override
        public INDArray gradient(List<String> order) {
            return g.gradient(order);
        }

        @Override
        public INDArray gradient() {
            return view;
        }

        @Override
        public void clear() {
            g.clear();
        }

        @Override
        public INDArray getGradientFor(String variable) {
            return g.getGradientFor(variable);
        }

        @Override
        public INDArray setGradientFor(String variable, INDArray gradient) {
            return g.setGradientFor(variable, gradient);
        }

        @Override
        public INDArray setGradientFor(String variable, INDArray gradient, Character flatteningOrder) {
            return g.setGradientFor(variable, gradient, flatteningOrder);
        }

        @Override
        public Character flatteningOrderForVariable(String variable) {
            return g.flatteningOrderForVariable(variable);
        }
    }
}
