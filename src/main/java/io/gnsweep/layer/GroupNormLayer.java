package io.gnsweep.layer;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The computation of a {@link GroupNormalization} layer: a hand-written forward and backward pass made of
 * whole-array ND4J operations (no SameDiff, whose layers return doubled gradients in 1.0.0-M2.1).
 *
 * <p>Notation: N samples, C channels, S = H·W positions (1 for dense input), G groups, K = C/G channels per
 * group, M = K·S values per group. The input is viewed as [N·G, M] for the statistics and as [N·C, S] for
 * the per-channel part; both views of a C-ordered [N, C, H, W] array are free reshapes.
 *
 * <p>Speed (see the README's speed section and {@code io.gnsweep.bench.OpCosts}): every pass over the whole
 * tensor is one libnd4j custom op with a broadcast operand, or one BLAS gemv against a cached vector of ones
 * for row sums. On this stack the alternatives are much slower: a row sum with {@code sum(1)} or {@code Dot}
 * ~5x the gemv, libnd4j's batchnorm op as a per-row affine 4-10x and ND4J's legacy row-broadcast ops 50-100x
 * the custom broadcast op, and {@code repeat} 0.3-0.5 ms even on 2,048 values. Per-group and per-channel
 * coefficients are combined by broadcasting [N, G, 1] with [1, G, K] arrays, never by repeating.
 */
public class GroupNormLayer extends BaseLayer<GroupNormalization> {
    /** Statistics of the last training forward pass (outside workspaces) and the input they belong to. */
    private transient INDArray statsInput;
    private transient Stats statsCache;
    /** Vectors of ones [length, 1] by length (outside workspaces), the right operand of the row-sum gemv. */
    private final transient java.util.Map<Long, INDArray> ones = new java.util.HashMap<>();

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
        INDArray x = contiguous(input.castTo(dataType));
        Dims d = dims(x);
        INDArray z = workspaceMgr.createUninitialized(ArrayType.FF_WORKING_MEM, dataType, x.shape(), 'c');
        INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
        Stats st = stats(x, z, y, d, true); // z ends centred; y serves as scratch until it is written below
        if (training) {
            statsInput = input;
            try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                long rows = d.n * d.g;
                INDArray kept = Nd4j.vstack(st.shift.reshape(1, rows), st.zMean.reshape(1, rows), st.rstd.reshape(1, rows));
                statsCache = new Stats(kept.getRow(0).reshape(rows, 1), kept.getRow(1).reshape(rows, 1),
                        kept.getRow(2).reshape(rows, 1));
            }
        }
        // y = γ_c·(z − E[z])·rstd + β_c = a·(z − E[z]) + β_c with a = γ_c·rstd per (sample, channel)
        INDArray a = byGroupAndChannel(st.rstd, gamma(d), d);                                 // [N, G, K]
        INDArray yc = y.reshape('c', d.n, d.c, d.s);
        Nd4j.exec(new MulOp(z.reshape('c', d.n, d.c, d.s), a.reshape('c', d.n, d.c, 1), yc));
        Nd4j.exec(new AddOp(yc, getParam(GroupNormParamInitializer.BETA).reshape('c', 1, d.c, 1), yc));
        return y;
    }

    /**
     * Per-group statistics in two passes, on shifted values: z = x − x₀, with x₀ the first value of each
     * group, is exact in float32 (x ≈ x₀ whenever |μ| >> σ), so E[z] = μ − x₀ is accurate; a float32 E[x] of
     * values near 1e4 is off by ~1e-2·σ. The variance is then E[(z − E[z])²], never E[z²] − E[z]², which
     * cancels catastrophically when x₀ lies far from μ (an outlier first value). With {@code centre}, z is
     * left holding z − E[z] (the forward pass needs it), else z = x − x₀; {@code scratch} (x's shape) is
     * overwritten.
     */
    private Stats stats(INDArray x, INDArray z, INDArray scratch, Dims d, boolean centre) {
        long rows = d.n * d.g;
        INDArray xg = x.reshape('c', rows, d.m);                                        // [N·G, M]
        INDArray shift = xg.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 1)).dup('c');  // x₀ [N·G, 1]
        INDArray zg = z.reshape('c', rows, d.m);
        Nd4j.exec(new SubOp(xg, shift, zg));                                            // z = x − x₀
        INDArray zMean = rowSums(zg, 1.0 / d.m);                                        // E[z] = μ − x₀
        INDArray centred = centre ? zg : scratch.reshape('c', rows, d.m);
        Nd4j.exec(new SubOp(zg, zMean, centred));                                       // z − E[z]
        INDArray sq = scratch.reshape('c', rows, d.m);
        Nd4j.exec(new MulOp(centred, centred, sq));
        INDArray var = rowSums(sq, 1.0 / d.m);                                          // σ² = E[(z − E[z])²]
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
            return stats(x, z, scratch, d, false);
        }
        Nd4j.exec(new SubOp(x.reshape('c', d.n * d.g, d.m), cached.shift, z.reshape('c', d.n * d.g, d.m)));
        return cached;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        INDArray x = contiguous(input.castTo(dataType));
        INDArray dy = contiguous(epsilon.castTo(dataType));
        Dims d = dims(x);
        long nc = d.n * d.c;
        INDArray z = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(), 'c');
        INDArray tmp = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(), 'c');
        Stats st = statsForBackprop(x, z, tmp, d);
        INDArray rstd = st.rstd;                                                        // [N·G, 1]
        INDArray rstd3 = rstd.reshape('c', d.n, d.g, 1);
        INDArray zMean3 = st.zMean.reshape('c', d.n, d.g, 1);
        INDArray gamma = gamma(d);                                                      // [1, G, K]

        // Per (sample, channel) over S: Σ dy and Σ dy·x̂ = rstd·(Σ dy·z − E[z]·Σ dy), on shifted z.
        INDArray dyC = dy.reshape('c', nc, d.s);
        INDArray tmpC = tmp.reshape('c', nc, d.s);
        Nd4j.exec(new MulOp(dyC, z.reshape('c', nc, d.s), tmpC));
        INDArray sumDy = rowSums(dyC, 1.0).reshape('c', d.n, d.g, d.c / d.g);           // [N, G, K]
        INDArray sumDyXhat = rowSums(tmpC, 1.0).reshape('c', d.n, d.g, d.c / d.g);       // Σ dy·z
        INDArray zMeanSumDy = Nd4j.createUninitialized(dataType, sumDy.shape());
        Nd4j.exec(new MulOp(sumDy, zMean3, zMeanSumDy));
        Nd4j.exec(new MulOp(sumDyXhat.subi(zMeanSumDy), rstd3, sumDyXhat));              // [N, G, K]

        // dβ_c = Σ_n Σ_s dy;  dγ_c = Σ_n Σ_s dy·x̂
        Gradient gradient = new DefaultGradient();
        INDArray dGamma = gradientViews.get(GroupNormParamInitializer.GAMMA);
        INDArray dBeta = gradientViews.get(GroupNormParamInitializer.BETA);
        sumDyXhat.sum(dGamma.reshape('c', true, d.g, d.c / d.g), 0); // into the gradient view itself
        sumDy.sum(dBeta.reshape('c', true, d.g, d.c / d.g), 0);
        gradient.setGradientFor(GroupNormParamInitializer.GAMMA, dGamma);
        gradient.setGradientFor(GroupNormParamInitializer.BETA, dBeta);

        // With g = γ_c·dy and its group means A = E[g], B = E[g·x̂] ([N, G, 1]), x̂ = (z − E[z])·rstd:
        // dx = rstd·(g − A − x̂·B) = p·dy + (q·z + r), p = rstd·γ_c, q = −rstd²·B, r = rstd·(rstd·B·E[z] − A).
        // From the sums A' = M·A and B' = M·B, with s = −rstd/M: q = s·(rstd·B'), r = s·(A' − rstd·B'·E[z]).
        Nd4j.exec(new MulOp(sumDy, gamma, sumDy));
        Nd4j.exec(new MulOp(sumDyXhat, gamma, sumDyXhat));
        INDArray sumG = sumDy.sum(true, 2);                                             // A' [N, G, 1]
        INDArray rB = sumDyXhat.sum(true, 2).muli(rstd3);                               // rstd·B'
        INDArray sc = rstd3.mul(-1.0 / d.m);                                            // s
        INDArray q = rB.mul(sc).reshape('c', d.n * d.g, 1);
        INDArray r = rB.muli(zMean3).rsubi(sumG).muli(sc).reshape('c', d.n * d.g, 1);
        INDArray p = byGroupAndChannel(rstd, gamma, d).reshape('c', nc, 1);
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        INDArray dxC = dx.reshape('c', nc, d.s);
        Nd4j.exec(new MulOp(dyC, p, dxC));
        INDArray zg = z.reshape('c', d.n * d.g, d.m);
        INDArray tmpG = tmp.reshape('c', d.n * d.g, d.m);
        Nd4j.exec(new MulOp(zg, q, tmpG));
        Nd4j.exec(new AddOp(tmpG, r, tmpG));
        Nd4j.exec(new AddOp(dxC, tmpC, dxC));
        return new Pair<>(gradient, dx);
    }

    /** perGroup [N·G, 1] times perChannel [1, G, K]: [N, G, K], i.e. one value per (sample, channel). */
    private static INDArray byGroupAndChannel(INDArray perGroup, INDArray perChannel, Dims d) {
        INDArray out = Nd4j.createUninitialized(perGroup.dataType(), d.n, d.g, d.c / d.g);
        Nd4j.exec(new MulOp(perGroup.reshape('c', d.n, d.g, 1), perChannel, out));
        return out;
    }

    private INDArray gamma(Dims d) {
        return getParam(GroupNormParamInitializer.GAMMA).reshape('c', 1, d.g, d.c / d.g);
    }

    /** scale·Σ over each row of a [rows, cols] C-ordered array, [rows, 1]: one BLAS gemv against cached ones. */
    private INDArray rowSums(INDArray a, double scale) {
        long cols = a.size(1);
        INDArray one = ones.get(cols);
        if (one == null || one.dataType() != dataType) {
            try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                one = Nd4j.ones(dataType, cols, 1);
            }
            ones.put(cols, one);
        }
        INDArray out = Nd4j.createUninitialized(dataType, a.size(0), 1);
        Nd4j.gemm(a, one, out, false, false, scale, 0.0);
        return out;
    }

    private static INDArray contiguous(INDArray a) {
        return a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a) ? a : a.dup('c');
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
    }
}
