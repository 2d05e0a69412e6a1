package io.gnsweep.layer;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The computation of a {@link GroupNormalization} layer: a hand-written forward and backward pass (no
 * SameDiff, whose layers return doubled gradients in 1.0.0-M2.1), run by the fused CPU kernels of
 * {@link NativeKernels} where they apply (ND4J's CPU backend, float or double), else by the whole-array ND4J
 * operations below (the ND4J path: the CUDA backend's, and the fallback).
 *
 * <p>Notation: N samples, C channels, S = H·W positions (1 for dense input), G groups, K = C/G channels per
 * group, M = K·S values per group. The input is viewed as [N·G, M] for the statistics and as [N·C, S] for
 * the per-channel part; both views of a C-ordered [N, C, H, W] array are free reshapes.
 *
 * <p>Speed of the ND4J path (see the README's speed section and {@code io.gnsweep.bench.OpCosts}): every
 * pass over the whole tensor is one libnd4j custom op with a broadcast operand, or one matmul against a
 * vector of ones for row sums, run through reused op contexts ({@link OpRunner}). On this stack the
 * alternatives are much slower: a row sum with {@code sum(1)} or {@code Dot} ~5x the matmul, libnd4j's
 * batchnorm op as a per-row affine 4-10x and ND4J's legacy row-broadcast ops 50-100x the custom broadcast
 * op, and {@code repeat} 0.3 ms on 2,048 values (where one op costs ~5-10 µs). Per-group and per-channel
 * coefficients are combined by broadcasting [N, G, 1] with [1, G, K] arrays, never by repeating. The forward
 * pass makes 4 whole-tensor ops and 2 row sums, the backward pass after it 6 and 2; no whole-tensor
 * broadcast op writes over its own input (see {@link #activate}).
 */
public class GroupNormLayer extends BaseLayer<GroupNormalization> {
    /** The fused ReLU's arithmetic on the ND4J path: DL4J's ReLU activation, as its ActivationLayer runs it. */
    private static final ActivationReLU RELU = new ActivationReLU();
    /** Statistics of the last training forward pass (outside workspaces) and the input they belong to. */
    private transient INDArray statsInput;
    private transient Stats statsCache;
    private transient OpRunner ops;
    /** The native kernels' per-group mean and rstd (double, outside workspaces) of the last training forward
     * pass, valid for backprop of statsInput while nativeStatsValid. */
    private transient INDArray nativeMean;
    private transient INDArray nativeRstd;
    private transient boolean nativeStatsValid;

    public GroupNormLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public Type type() {
        return Type.NORMALIZATION;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public void fit(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        throw new UnsupportedOperationException("GroupNormalization has no unsupervised fit " + layerId());
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr); // input dropout, as DL4J's dense and conv layers
        INDArray x = LayerPlumbing.contiguous(input.castTo(dataType));
        Dims d = dims(x);
        if (NativeKernels.use(dataType)) {
            return activateNative(x, d, training, workspaceMgr);
        }
        OpRunner ops = ops();
        INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
        INDArray scratch = workspaceMgr.createUninitialized(ArrayType.FF_WORKING_MEM, dataType, x.shape(), 'c');
        Stats st = stats(x, y, scratch, d); // y holds z = x − x₀ until it is overwritten below
        if (training) {
            statsInput = input;
            nativeStatsValid = false;
            try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                long rows = d.n * d.g;
                INDArray kept = Nd4j.vstack(st.shift.reshape(1, rows), st.zMean.reshape(1, rows), st.rstd.reshape(1, rows));
                statsCache = new Stats(kept.getRow(0).reshape(rows, 1), kept.getRow(1).reshape(rows, 1),
                        kept.getRow(2).reshape(rows, 1));
            }
        }
        normalised(st, d, y, scratch, y);
        if (layerConf().isRelu()) {
            RELU.getActivation(y, training);
        }
        return y;
    }

    /**
     * out = γ_c·rstd·(z − E[z]) + β_c = a·z + b per (sample, channel), from z = x − x₀ and the statistics:
     * a = γ_c·rstd, b = β_c − a·E[z]. Both terms are O(σ) unless x₀ is an outlier, so the float32 sum loses at
     * most a few bits. scratch (x's shape) is overwritten; out may be z itself.
     */
    private void normalised(Stats st, Dims d, INDArray z, INDArray scratch, INDArray out) {
        OpRunner ops = ops();
        long nc = d.n * d.c;
        INDArray gamma = gamma(d);
        INDArray a = byGroupAndChannel(st.rstd, gamma, d);
        INDArray b = byGroupAndChannel(ops.exec(OpRunner.MUL, st.rstd, st.zMean, d.n * d.g, 1), gamma, d);
        ops.exec(OpRunner.SUB, getParam(GroupNormParamInitializer.BETA).reshape('c', 1, d.g, d.c / d.g), b, b);
        INDArray sc = scratch.reshape('c', nc, d.s);
        // The whole-tensor ops write to an array other than their broadcast input: in place, libnd4j's
        // broadcast multiply ran 2.6x slower on 8 MB on this stack (io.gnsweep.bench.OpCosts).
        ops.exec(OpRunner.MUL, z.reshape('c', nc, d.s), a.reshape('c', nc, 1), sc);
        ops.exec(OpRunner.ADD, sc, b.reshape('c', nc, 1), out.reshape('c', nc, d.s));
    }

    /** The forward pass by the fused CPU kernels ({@link NativeKernels}); keeps the statistics when training. */
    private INDArray activateNative(INDArray x, Dims d, boolean training, LayerWorkspaceMgr workspaceMgr) {
        INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
        long rows = d.n * d.g;
        INDArray mean;
        INDArray rstd;
        if (training) {
            if (nativeMean == null || nativeMean.length() != rows) {
                try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                    nativeMean = Nd4j.createUninitialized(DataType.DOUBLE, rows);
                    nativeRstd = Nd4j.createUninitialized(DataType.DOUBLE, rows);
                }
            }
            mean = nativeMean;
            rstd = nativeRstd;
        } else {
            mean = workspaceMgr.createUninitialized(ArrayType.FF_WORKING_MEM, DataType.DOUBLE, new long[] {rows}, 'c');
            rstd = workspaceMgr.createUninitialized(ArrayType.FF_WORKING_MEM, DataType.DOUBLE, new long[] {rows}, 'c');
        }
        NativeKernels.forward(x, y, getParam(GroupNormParamInitializer.GAMMA), getParam(GroupNormParamInitializer.BETA),
                d.n, d.c, d.s, d.g, layerConf().getEps(), layerConf().isRelu(), mean, rstd);
        if (training) {
            statsInput = input;
            statsCache = null;
            nativeStatsValid = true;
        }
        return y;
    }

    /** Backprop by the fused CPU kernels, with the statistics of the forward pass on this input, else anew. */
    private Pair<Gradient, INDArray> backpropNative(INDArray x, INDArray dy, Dims d, LayerWorkspaceMgr workspaceMgr) {
        long rows = d.n * d.g;
        INDArray mean = nativeMean;
        INDArray rstd = nativeRstd;
        boolean cached = nativeStatsValid && statsInput == input && mean != null && mean.length() == rows;
        nativeStatsValid = false;
        INDArray gammaParam = getParam(GroupNormParamInitializer.GAMMA);
        if (!cached) {
            mean = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.DOUBLE, new long[] {rows}, 'c');
            rstd = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.DOUBLE, new long[] {rows}, 'c');
            NativeKernels.stats(x, d.n, d.c, d.s, d.g, layerConf().getEps(), mean, rstd);
        }
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        INDArray dGamma = gradientViews.get(GroupNormParamInitializer.GAMMA);
        INDArray dBeta = gradientViews.get(GroupNormParamInitializer.BETA);
        NativeKernels.backward(x, dy, dx, gammaParam,
                layerConf().isRelu() ? getParam(GroupNormParamInitializer.BETA) : null, mean, rstd, dGamma, dBeta,
                d.n, d.c, d.s, d.g);
        Gradient gradient = new DefaultGradient();
        gradient.setGradientFor(GroupNormParamInitializer.GAMMA, dGamma);
        gradient.setGradientFor(GroupNormParamInitializer.BETA, dBeta);
        return new Pair<>(gradient, dx);
    }

    /**
     * Per-group statistics in two passes, on shifted values: z = x − x₀, with x₀ the first value of each
     * group, is exact in float32 (x ≈ x₀ whenever |μ| >> σ), so E[z] = μ − x₀ is accurate; a float32 E[x] of
     * values near 1e4 is off by ~1e-2·σ. The variance is then E[(z − E[z])²] (one squared-difference op),
     * never E[z²] − E[z]², which cancels catastrophically when x₀ lies far from μ (an outlier first value).
     * Writes z into {@code z}; {@code scratch} (x's shape) is overwritten.
     */
    private Stats stats(INDArray x, INDArray z, INDArray scratch, Dims d) {
        OpRunner ops = ops();
        long rows = d.n * d.g;
        INDArray xg = x.reshape('c', rows, d.m);                                        // [N·G, M]
        // x₀ [N·G, 1], copied: a strided view as the broadcast operand sends libnd4j down a slower path
        INDArray shift = xg.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 1)).dup('c');
        INDArray zg = z.reshape('c', rows, d.m);
        ops.exec(OpRunner.SUB, xg, shift, zg);                                           // z = x − x₀
        INDArray zMean = ops.rowSums(zg, 1.0 / d.m);                                    // E[z] = μ − x₀
        INDArray sq = scratch.reshape('c', rows, d.m);
        ops.exec(OpRunner.SQUARED_DIFFERENCE, zg, zMean, sq);                            // (z − E[z])²
        INDArray var = ops.rowSums(sq, 1.0 / d.m);                                      // σ²
        INDArray rstd = Transforms.pow(var.addi(layerConf().getEps()), -0.5, false);     // (σ² + eps)^-½
        return new Stats(shift, zMean, rstd);
    }

    /** The statistics for backprop, with z = x − x₀ written into z: those of the forward pass on this same
     * input, else computed anew (scratch as in {@link #stats}). */
    private Stats statsForBackprop(INDArray x, INDArray z, INDArray scratch, Dims d) {
        Stats cached = statsCache;
        statsCache = null;
        if (cached == null || statsInput != input || cached.shift.length() != d.n * d.g
                || cached.shift.dataType() != dataType) {
            return stats(x, z, scratch, d);
        }
        ops().exec(OpRunner.SUB, x.reshape('c', d.n * d.g, d.m), cached.shift, z.reshape('c', d.n * d.g, d.m));
        return cached;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        INDArray x = LayerPlumbing.contiguous(input.castTo(dataType));
        INDArray dy = LayerPlumbing.contiguous(epsilon.castTo(dataType));
        Dims d = dims(x);
        if (NativeKernels.use(dataType)) {
            Pair<Gradient, INDArray> out = backpropNative(x, dy, d, workspaceMgr);
            return new Pair<>(out.getFirst(), backpropDropOutIfPresent(out.getSecond()));
        }
        nativeStatsValid = false;
        OpRunner ops = ops();
        long nc = d.n * d.c;
        long ng = d.n * d.g;
        long k = d.c / d.g;
        INDArray z = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(), 'c');
        INDArray tmp = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(), 'c');
        Stats st = statsForBackprop(x, z, tmp, d);
        if (layerConf().isRelu()) {
            // the forward pass's outputs again (the same ops on the same z), then DL4J's ReLU backward on them:
            // dy where the output was positive, else 0
            INDArray out = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(), 'c');
            normalised(st, d, z, tmp, out);
            dy = RELU.backprop(out, dy).getFirst();
        }
        INDArray rstd3 = st.rstd.reshape('c', d.n, d.g, 1);
        INDArray zMean3 = st.zMean.reshape('c', d.n, d.g, 1);
        INDArray gamma = gamma(d);                                                      // [1, G, K]

        // Per (sample, channel) over S: Σ dy and Σ dy·x̂ = rstd·(Σ dy·z − E[z]·Σ dy), on shifted z.
        INDArray dyC = dy.reshape('c', nc, d.s);
        INDArray tmpC = tmp.reshape('c', nc, d.s);
        INDArray zC = z.reshape('c', nc, d.s);
        ops.exec(OpRunner.MUL, dyC, zC, tmpC);
        INDArray sumDy = ops.rowSums(dyC, 1.0).reshape('c', d.n, d.g, k);               // [N, G, K]
        INDArray sumDyZ = ops.rowSums(tmpC, 1.0).reshape('c', d.n, d.g, k);             // Σ dy·z
        INDArray sumDyXhat = ops.exec(OpRunner.MUL, sumDy, zMean3, d.n, d.g, k);
        ops.exec(OpRunner.SUB, sumDyZ, sumDyXhat, sumDyXhat);
        ops.exec(OpRunner.MUL, sumDyXhat, rstd3, sumDyXhat);                             // Σ dy·x̂ [N, G, K]

        // dβ_c = Σ_n Σ_s dy;  dγ_c = Σ_n Σ_s dy·x̂, summed straight into DL4J's gradient views
        Gradient gradient = new DefaultGradient();
        INDArray dGamma = gradientViews.get(GroupNormParamInitializer.GAMMA);
        INDArray dBeta = gradientViews.get(GroupNormParamInitializer.BETA);
        ops.columnSumsInto(sumDyXhat.reshape('c', d.n, d.c), dGamma.reshape('c', true, 1, d.c));
        ops.columnSumsInto(sumDy.reshape('c', d.n, d.c), dBeta.reshape('c', true, 1, d.c));
        gradient.setGradientFor(GroupNormParamInitializer.GAMMA, dGamma);
        gradient.setGradientFor(GroupNormParamInitializer.BETA, dBeta);

        // With g = γ_c·dy and its group means A = E[g], B = E[g·x̂] ([N, G, 1]), x̂ = (z − E[z])·rstd:
        // dx = rstd·(g − A − x̂·B) = p·dy + (q·z + r), p = rstd·γ_c, q = −rstd²·B, r = rstd·(rstd·B·E[z] − A).
        // From the sums A' = M·A and B' = M·B, with s = −rstd/M: q = s·(rstd·B'), r = s·(A' − rstd·B'·E[z]).
        ops.exec(OpRunner.MUL, sumDy, gamma, sumDy);
        ops.exec(OpRunner.MUL, sumDyXhat, gamma, sumDyXhat);
        INDArray sumG = ops.rowSums(sumDy.reshape('c', ng, k), 1.0);                    // A' [N·G, 1]
        INDArray rB = ops.rowSums(sumDyXhat.reshape('c', ng, k), 1.0);                  // B'
        ops.exec(OpRunner.MUL, rB, st.rstd, rB);                                         // rstd·B'
        INDArray s = st.rstd.mul(-1.0 / d.m);
        INDArray q = ops.exec(OpRunner.MUL, rB, s, ng, 1);
        INDArray r = ops.exec(OpRunner.MUL, rB, st.zMean, ng, 1);
        ops.exec(OpRunner.SUB, sumG, r, r);
        ops.exec(OpRunner.MUL, r, s, r);
        INDArray p = byGroupAndChannel(st.rstd, gamma, d).reshape('c', nc, 1);
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        INDArray dxC = dx.reshape('c', nc, d.s);
        // Out of place wherever an operand is broadcast (see activate); the last add is same-shape.
        ops.exec(OpRunner.MUL, dyC, p, dxC);
        INDArray zg = z.reshape('c', ng, d.m);
        INDArray tmpG = tmp.reshape('c', ng, d.m);
        ops.exec(OpRunner.MUL, zg, q, tmpG);
        ops.exec(OpRunner.ADD, tmpG, r, zg);
        ops.exec(OpRunner.ADD, dxC, zC, dxC);
        return new Pair<>(gradient, backpropDropOutIfPresent(dx));
    }

    /** perGroup [N·G, 1] times perChannel [1, G, K]: [N, G, K], i.e. one value per (sample, channel). */
    private INDArray byGroupAndChannel(INDArray perGroup, INDArray perChannel, Dims d) {
        return ops().exec(OpRunner.MUL, perGroup.reshape('c', d.n, d.g, 1), perChannel, d.n, d.g, d.c / d.g);
    }

    private INDArray gamma(Dims d) {
        return getParam(GroupNormParamInitializer.GAMMA).reshape('c', 1, d.g, d.c / d.g);
    }

    private OpRunner ops() {
        if (ops == null) {
            ops = new OpRunner(dataType);
        }
        return ops;
    }

    private Dims dims(INDArray x) {
        if (x.rank() != 2 && x.rank() != 4) {
            throw new IllegalStateException("GroupNormalization expects rank 2 [N,C] or rank 4 [N,C,H,W] input, got "
                    + java.util.Arrays.toString(x.shape()) + " " + layerId());
        }
        long c = x.size(1);
        int g = layerConf().getGroups();
        if (c != layerConf().getNOut() || c % g != 0) {
            throw new IllegalStateException("GroupNormalization expects C = " + layerConf().getNOut()
                    + " channels divisible by G = " + g + ", got input " + java.util.Arrays.toString(x.shape())
                    + " " + layerId());
        }
        long s = x.rank() == 4 ? x.size(2) * x.size(3) : 1;
        return new Dims(x.size(0), c, s, g, (c / g) * s);
    }


    private record Dims(long n, long c, long s, long g, long m) {}

    /** x₀, E[z] and (σ² + eps)^-½ per group ([N·G, 1] each), z = x − x₀. */
    private record Stats(INDArray shift, INDArray zMean, INDArray rstd) {}

    @Override
    public void clear() {
        super.clear();
        statsInput = null;
        statsCache = null;
        nativeStatsValid = false;
    }
}
