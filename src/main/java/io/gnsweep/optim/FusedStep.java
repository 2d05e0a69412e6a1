package io.gnsweep.optim;

import io.gnsweep.layer.NativeArrays;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.optimize.Solver;
import org.deeplearning4j.optimize.api.ConvexOptimizer;
import org.deeplearning4j.optimize.api.StepFunction;
import org.deeplearning4j.optimize.solvers.BaseOptimizer;
import org.deeplearning4j.optimize.solvers.StochasticGradientDescent;
import org.deeplearning4j.optimize.stepfunctions.NegativeGradientStepFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * A training step's passes over the parameters, in one: DL4J divides the network's gradient by the batch size (one
 * pass over it), adds L2 to it (FusedL2: one more), its updater turns it into the update (FusedAdam, SgdMomentum:
 * one fused pass over gradient and state) and its optimiser's step function subtracts that from the parameters (one
 * more pass over both). At batch 2 on vgg-cifar the two passes around the updater cost as much as the updater's
 * (~6% of a step, docs/speed.md). Here the updater's kernel divides and adds L2 as it reads the gradient and steps
 * the parameters as it writes the update ({@link UpdaterKernels#adamStep}, {@link UpdaterKernels#sgdStep}): the
 * same operations on the same values, so the same bits.
 *
 * <p>It is this object that sits in the network's optimiser as its step function (DL4J has no setting for one of
 * its own: put there by reflection when BlockUpdaters' updater first runs), and it subtracts what no fused kernel
 * stepped: blocks whose updater or regularization is not one of these kernels', and any block whose kernel did not
 * apply. A block is fused when all of its parameters have a FusedAdam or SgdMomentum updater, no regularization but
 * FusedL2, no gradient normalization, and a gradient that is divided by the batch size; the division and L2 of the
 * others stay DL4J's. Only the network's own gradient in its optimiser's step is fused (BlockUpdaters' standard
 * path); an update called from elsewhere, or with the switch {@value #PROPERTY} false, runs DL4J's passes. After a
 * fused step the gradient array holds the summed gradient, not the update (DL4J's array holds the update): nothing
 * in training reads it there.
 */
final class FusedStep implements StepFunction {
    /** {@code -Dgnsweep.optim.fusedStep=false} keeps DL4J's division and step function (for comparisons). */
    static final String PROPERTY = "gnsweep.optim.fusedStep";

    private static final ThreadLocal<FusedStep> ACTIVE = new ThreadLocal<>();
    private static final Field STEP_FUNCTION = accessible(BaseOptimizer.class, "stepFunction");
    private static final Field SOLVER = accessible(ComputationGraph.class, "solver");

    private final StepFunction dl4j;
    private final long[] fusedStart;
    private final long[] fusedEnd;
    private final INDArray[] fusedParams;
    private final Segments[] segments;
    private final boolean[] applied;
    private final List<long[]> otherRanges;
    private final long gradientAddress;
    private final int elementSize;
    private final List<INDArray> otherDivisions;
    private int batchSize;

    private FusedStep(StepFunction dl4j, List<UpdaterBlock> blocks, INDArray params, INDArray gradient,
            List<INDArray> divisionSubsets) {
        this.dl4j = dl4j;
        INDArray flatParams = params.reshape(params.length());
        List<UpdaterBlock> fused = new ArrayList<>();
        for (UpdaterBlock b : blocks) {
            if (fusable(b)) {
                fused.add(b);
            }
        }
        int k = fused.size();
        fusedStart = new long[k];
        fusedEnd = new long[k];
        fusedParams = new INDArray[k];
        segments = new Segments[k];
        applied = new boolean[k];
        for (int i = 0; i < k; i++) {
            fusedStart[i] = fused.get(i).getParamOffsetStart();
            fusedEnd[i] = fused.get(i).getParamOffsetEnd();
            fusedParams[i] = flatParams.get(NDArrayIndex.interval(fusedStart[i], fusedEnd[i]));
            segments[i] = Segments.of(fused.get(i));
        }
        List<long[]> ranges = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            ranges.add(new long[] {fusedStart[i], fusedEnd[i]});
        }
        otherRanges = complement(ranges, params.length());
        gradientAddress = NativeArrays.address(gradient);
        elementSize = gradient.dataType().width();
        INDArray flatGradient = gradient.reshape(gradient.length());
        otherDivisions = new ArrayList<>();
        for (INDArray subset : divisionSubsets) {
            long start = offsetOf(subset);
            long end = start + subset.length();
            for (long[] r : otherRanges) {
                long lo = Math.max(start, r[0]);
                long hi = Math.min(end, r[1]);
                if (lo < hi) {
                    otherDivisions.add(flatGradient.get(NDArrayIndex.interval(lo, hi)));
                }
            }
        }
    }

    /** Whether fused steps are on ({@link #PROPERTY}). */
    static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim());
    }

    /**
     * The fused step for a network whose optimiser is given, put in as its step function (or the one already
     * there); null where it cannot be (switched off, an optimiser of another kind, no block to fuse, or the
     * parameters and gradient not dense arrays the kernels take).
     */
    static FusedStep install(ConvexOptimizer optimizer, List<UpdaterBlock> blocks, INDArray params,
            INDArray gradient, List<INDArray> divisionSubsets) {
        if (!enabled() || STEP_FUNCTION == null || !(optimizer instanceof StochasticGradientDescent) || params == null
                || gradient == null || !NativeArrays.use(params.dataType())
                || params.dataType() != gradient.dataType() || !NativeArrays.isDense(params)
                || !NativeArrays.isDense(gradient) || params.length() != gradient.length()) {
            return null;
        }
        try {
            Object current = STEP_FUNCTION.get(optimizer);
            if (current instanceof FusedStep s) {
                return s;
            }
            if (!(current instanceof NegativeGradientStepFunction)) {
                return null; // another step than params -= update: left as it is
            }
            FusedStep s = new FusedStep((StepFunction) current, blocks, params, gradient, divisionSubsets);
            if (s.fusedParams.length == 0) {
                return null;
            }
            STEP_FUNCTION.set(optimizer, s);
            return s;
        } catch (IllegalAccessException e) {
            return null;
        }
    }

    /** Whether every parameter of the block takes a fused step (see the class comment). */
    private static boolean fusable(UpdaterBlock b) {
        List<UpdaterBlock.ParamState> params = b.getLayersAndVariablesInBlock();
        if (params.isEmpty() || b.getParamOffsetEnd() <= b.getParamOffsetStart()) {
            return false;
        }
        for (UpdaterBlock.ParamState p : params) {
            Trainable layer = p.getLayer();
            TrainingConfig c = layer.getConfig();
            String name = p.getParamName();
            IUpdater u = c.getUpdaterByParam(name);
            List<Regularization> regs = c.getRegularizationByParam(name);
            if (!(u instanceof FusedAdam || u instanceof SgdMomentum) || c.isPretrainParam(name)
                    || !layer.updaterDivideByMinibatch(name)
                    || (regs != null && !regs.isEmpty() && !(regs.size() == 1 && regs.get(0) instanceof FusedL2))
                    || (c.getGradientNormalization() != null
                            && c.getGradientNormalization() != GradientNormalization.None)) {
                return false;
            }
        }
        return true;
    }

    /** [lo, hi) ranges of [0, n) outside the given sorted, disjoint ranges. */
    private static List<long[]> complement(List<long[]> ranges, long n) {
        List<long[]> out = new ArrayList<>();
        long at = 0;
        for (long[] r : ranges) {
            if (r[0] > at) {
                out.add(new long[] {at, r[0]});
            }
            at = Math.max(at, r[1]);
        }
        if (at < n) {
            out.add(new long[] {at, n});
        }
        return out;
    }

    /**
     * Runs the update with this step armed on the calling thread: {@code divide} then does the division of the
     * blocks that are not fused, and the fused blocks' updaters find their parameters through {@link #target}.
     */
    void armed(int batchSize, Runnable update) {
        this.batchSize = batchSize;
        java.util.Arrays.fill(applied, false);
        FusedStep before = ACTIVE.get();
        ACTIVE.set(this);
        try {
            update.run();
        } finally {
            if (before == null) {
                ACTIVE.remove();
            } else {
                ACTIVE.set(before);
            }
        }
    }

    /** DL4J's division by the batch size, for the gradients outside the fused blocks. */
    void divide(int batchSize) {
        for (INDArray a : otherDivisions) {
            a.divi(batchSize);
        }
    }

    /**
     * A fused block's parameter segments in the order of the flat arrays: bounds relative to the block (k + 1), each
     * one's FusedL2 (null: none), and each one's parameter and gradient views (for the fallback).
     */
    private record Segments(long[] starts, FusedL2[] l2, INDArray[] params, INDArray[] gradients) {
        static Segments of(UpdaterBlock b) {
            List<UpdaterBlock.ParamState> ps = b.getLayersAndVariablesInBlock();
            long[] starts = new long[ps.size() + 1];
            FusedL2[] l2 = new FusedL2[ps.size()];
            INDArray[] params = new INDArray[ps.size()];
            INDArray[] gradients = new INDArray[ps.size()];
            for (int i = 0; i < ps.size(); i++) {
                UpdaterBlock.ParamState p = ps.get(i);
                starts[i] = p.getParamOffsetStart() - b.getParamOffsetStart();
                List<Regularization> regs = p.getLayer().getConfig().getRegularizationByParam(p.getParamName());
                l2[i] = regs == null || regs.isEmpty() ? null : (FusedL2) regs.get(0);
                params[i] = p.getParamView();
                gradients[i] = p.getGradView();
            }
            starts[ps.size()] = b.getParamOffsetEnd() - b.getParamOffsetStart();
            return new Segments(starts, l2, params, gradients);
        }

        double[] coefficients(int iteration, int epoch) {
            double[] c = new double[l2.length];
            for (int i = 0; i < c.length; i++) {
                c[i] = l2[i] == null ? 0 : l2[i].coefficient(iteration, epoch);
            }
            return c;
        }
    }

    /** A fused block: its parameters, the divisor of its gradient and its L2 segments. */
    record Target(FusedStep step, int block, INDArray params, int batchSize) {
        /** Records that the block's kernel stepped its parameters. */
        void applied() {
            step.applied[block] = true;
        }

        /** The block's segment bounds (k + 1, relative to the block). */
        long[] starts() {
            return step.segments[block].starts();
        }

        /** The L2 coefficient of each segment at this iteration and epoch (0: none). */
        double[] l2(int iteration, int epoch) {
            return step.segments[block].coefficients(iteration, epoch);
        }

        /**
         * Where the block's kernel did not apply: what DL4J does before its updater, on the block's gradient (the
         * division by the batch size, then each segment's L2); the updater then runs as DL4J's and the step function
         * steps the block.
         */
        void beforeUpdater(INDArray gradient, int iteration, int epoch) {
            gradient.divi(batchSize);
            Segments s = step.segments[block];
            for (int i = 0; i < s.l2().length; i++) {
                if (s.l2()[i] != null) {
                    s.l2()[i].applyNow(s.params()[i], s.gradients()[i], 0, iteration, epoch);
                }
            }
        }
    }

    /** Where a view of the network's gradient starts in it, in values. */
    private long offsetOf(INDArray gradientView) {
        return (NativeArrays.address(gradientView) - gradientAddress) / elementSize;
    }

    /** Whether these gradient values are in a fused block of the step armed on this thread (see FusedL2#apply). */
    static boolean covers(INDArray gradient) {
        FusedStep s = ACTIVE.get();
        if (s == null || !NativeArrays.isDense(gradient)) {
            return false;
        }
        long offset = s.offsetOf(gradient);
        for (int i = 0; i < s.fusedStart.length; i++) {
            if (offset >= s.fusedStart[i] && offset + gradient.length() <= s.fusedEnd[i]) {
                return true;
            }
        }
        return false;
    }

    /**
     * The fused block whose gradient this is (the block's view its updater is given), while a fused step is armed
     * on this thread, else null: the updater then runs as DL4J's.
     */
    static Target target(INDArray blockGradient) {
        FusedStep s = ACTIVE.get();
        if (s == null || !NativeArrays.isDense(blockGradient)) {
            return null;
        }
        long offset = s.offsetOf(blockGradient);
        for (int i = 0; i < s.fusedStart.length; i++) {
            if (s.fusedStart[i] == offset && s.fusedEnd[i] - s.fusedStart[i] == blockGradient.length()) {
                return new Target(s, i, s.fusedParams[i], s.batchSize);
            }
        }
        return null;
    }

    /** params −= update, over what no fused kernel stepped in this step. */
    @Override
    public void step(INDArray x, INDArray line) {
        boolean any = false;
        for (boolean a : applied) {
            any |= a;
        }
        if (!any) {
            dl4j.step(x, line);
            return;
        }
        INDArray xf = x.reshape(x.length());
        INDArray lf = line.reshape(line.length());
        List<long[]> rest = new ArrayList<>(otherRanges);
        for (int i = 0; i < applied.length; i++) {
            if (!applied[i]) {
                rest.add(new long[] {fusedStart[i], fusedEnd[i]});
            }
        }
        for (long[] r : rest) {
            xf.get(NDArrayIndex.interval(r[0], r[1])).subi(lf.get(NDArrayIndex.interval(r[0], r[1])));
        }
        java.util.Arrays.fill(applied, false);
    }

    /** DL4J's step function ignores the step size (SGD's); so does this one. */
    @Override
    public void step(INDArray x, INDArray line, double step) {
        step(x, line);
    }

    @Override
    public void step() {
        dl4j.step();
    }

    /** How many of the network's parameters take fused steps. */
    long fusedLength() {
        long n = 0;
        for (int i = 0; i < fusedStart.length; i++) {
            n += fusedEnd[i] - fusedStart[i];
        }
        return n;
    }

    /** The optimiser of a network or graph (made with its updater), or null. */
    static ConvexOptimizer optimizerOf(Object model) {
        try {
            if (model instanceof MultiLayerNetwork net) {
                return net.getOptimizer();
            }
            if (model instanceof ComputationGraph && SOLVER != null && SOLVER.get(model) instanceof Solver solver) {
                return solver.getOptimizer();
            }
        } catch (IllegalAccessException | RuntimeException e) {
            return null; // no solver yet
        }
        return null;
    }

    /** The declared field, made accessible, or null where DL4J's classes differ from 1.0.0-M2.1's. */
    private static Field accessible(Class<?> owner, String name) {
        try {
            Field f = owner.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
