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
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The computation of a {@link GroupNormalization} layer: a hand-written forward and backward pass made of
 * whole-array ND4J operations (no SameDiff, whose layers return doubled gradients in 1.0.0-M2.1).
 *
 * <p>Notation: N samples, C channels, S = H·W positions (1 for dense input), G groups, M = (C/G)·S values
 * per group. The input is viewed as [N·G, M] for the statistics and as [N·C, S] for the per-channel
 * affine part; both views of a C-ordered [N, C, H, W] array are free reshapes.
 */
public class GroupNormLayer extends BaseLayer<GroupNormalization> {
    /** An epsilon that vanishes next to a variance of 1 in float32 and float64 (the op needs one > 0). */
    private static final double TINY = 1e-30;

    /** Statistics of the last training forward pass ([N·G] each, outside workspaces) and its input. */
    private INDArray statsInput;
    private Stats statsCache;
    /** Constant vectors of 0 and 1 by length (outside workspaces), so each op call does not allocate them. */
    private final java.util.Map<Long, INDArray> zeros = new java.util.HashMap<>();
    private final java.util.Map<Long, INDArray> ones = new java.util.HashMap<>();

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
        Stats st = stats(x, d, workspaceMgr, ArrayType.FF_WORKING_MEM);
        if (training) {
            statsInput = input;
            statsCache = new Stats(null, st.shift.detach(), st.zMean.detach(), st.var.detach());
        }
        // y = γ_c·(z − E[z])·rstd + β_c: one pass over the [N·C, S] view, coefficients per (sample, channel)
        INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
        rowAffine(st.z, y, d.n * d.c, d.s, perChannel(st.zMean, d), perChannel(st.var, d), layerConf().getEps(),
                tile(getParam(GroupNormParamInitializer.GAMMA), d), tile(getParam(GroupNormParamInitializer.BETA), d));
        return y;
    }

    /**
     * Per-group statistics on shifted values. z = x − x₀, with x₀ the first value of each group, is exact in
     * float32 (x ≈ x₀ whenever |μ| >> σ), and E[z] and E[z²] of such values, of order σ, are accurate; a
     * float32 E[x] of values near 1e4 is off by ~1e-2·σ, and E[x²] − E[x]² is useless there.
     */
    private Stats stats(INDArray x, Dims d, LayerWorkspaceMgr mgr, ArrayType type) {
        long rows = d.n * d.g;
        INDArray xg = x.reshape('c', rows, d.m);                                                // [N·G, M]
        INDArray shift = xg.get(NDArrayIndex.all(), NDArrayIndex.point(0)).dup().reshape(rows);  // x₀
        INDArray z = mgr.createUninitialized(type, dataType, x.shape(), 'c');
        rowAffine(x, z, rows, d.m, shift, null, 0, null, null);                                  // z = x − x₀
        INDArray zg = z.reshape('c', rows, d.m);
        INDArray zMean = zg.mean(1).reshape(rows);                                              // E[z] = μ − x₀
        INDArray zSq = Nd4j.getExecutioner().exec(new Dot(zg, zg, 1)).reshape(rows).divi(d.m);  // E[z²]
        INDArray var = Transforms.max(zSq.subi(zMean.mul(zMean)), 0.0, false);                 // σ² = E[z²] − E[z]²
        return new Stats(z, shift, zMean, var);
    }

    /** The statistics for backprop: those of the forward pass on this same input, else computed anew. */
    private Stats statsForBackprop(INDArray x, Dims d, LayerWorkspaceMgr mgr) {
        Stats cached = statsCache;
        statsCache = null;
        if (cached == null || statsInput != input || cached.shift.length() != d.n * d.g) {
            return stats(x, d, mgr, ArrayType.BP_WORKING_MEM);
        }
        INDArray z = mgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(), 'c');
        rowAffine(x, z, d.n * d.g, d.m, cached.shift, null, 0, null, null);
        return new Stats(z, cached.shift, cached.zMean, cached.var);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        INDArray x = contiguous(input.castTo(dataType));
        INDArray dy = contiguous(epsilon.castTo(dataType));
        Dims d = dims(x);
        Stats st = statsForBackprop(x, d, workspaceMgr);
        INDArray gamma = getParam(GroupNormParamInitializer.GAMMA).reshape(1, d.c);
        INDArray rstd = Transforms.pow(st.var.add(layerConf().getEps()), -0.5, false);         // [N·G]

        // Per (sample, channel) over S: Σ dy and Σ dy·x̂ = rstd·(Σ dy·z − E[z]·Σ dy), on centred z.
        INDArray dyC = dy.reshape('c', d.n * d.c, d.s);
        INDArray sumDy = dyC.sum(1).reshape(d.n * d.c);
        INDArray sumDyZ = Nd4j.getExecutioner().exec(new Dot(dyC, st.z.reshape('c', d.n * d.c, d.s), 1)).reshape(d.n * d.c);
        INDArray zMeanC = perChannel(st.zMean, d);
        INDArray rstdC = perChannel(rstd, d);
        INDArray sumDyXhat = sumDyZ.subi(zMeanC.mul(sumDy)).muli(rstdC);

        // dβ_c = Σ_n Σ_s dy;  dγ_c = Σ_n Σ_s dy·x̂
        Gradient gradient = new DefaultGradient();
        INDArray dGamma = gradientViews.get(GroupNormParamInitializer.GAMMA);
        INDArray dBeta = gradientViews.get(GroupNormParamInitializer.BETA);
        dGamma.assign(sumDyXhat.reshape('c', d.n, d.c).sum(0).reshape(dGamma.shape()));
        dBeta.assign(sumDy.reshape('c', d.n, d.c).sum(0).reshape(dBeta.shape()));
        gradient.setGradientFor(GroupNormParamInitializer.GAMMA, dGamma);
        gradient.setGradientFor(GroupNormParamInitializer.BETA, dBeta);

        // With g = γ_c·dy and its group means A = E[g], B = E[g·x̂] ([N·G]):
        // dx = rstd·(g − A − x̂·B) = p·dy + (q·x̂ + r), p = rstd·γ_c, q = −rstd·B, r = −rstd·A.
        int perGroup = (int) (d.c / d.g);
        INDArray meanG = sumDy.reshape('c', d.n, d.c).mulRowVector(gamma).reshape('c', d.n * d.g, perGroup).sum(1).reshape(d.n * d.g).divi(d.m);
        INDArray meanGXhat = sumDyXhat.reshape('c', d.n, d.c).mulRowVector(gamma).reshape('c', d.n * d.g, perGroup).sum(1).reshape(d.n * d.g).divi(d.m);
        INDArray q = perChannel(meanGXhat.muli(rstd).negi(), d);
        INDArray r = perChannel(meanG.muli(rstd).negi(), d);
        INDArray p = rstdC.reshape('c', d.n, d.c).mulRowVector(gamma).reshape(d.n * d.c);
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        rowAffine(st.z, dx, d.n * d.c, d.s, zMeanC, perChannel(st.var, d), layerConf().getEps(), q, r);
        INDArray pDy = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, dataType, x.shape(), 'c');
        rowAffine(dy, pDy, d.n * d.c, d.s, null, null, 0, p, null);
        dx.addi(pDy);
        return new Pair<>(gradient, dx);
    }

    /**
     * out = (in − mean)·scale/sqrt(var + eps) + shift per row of the [rows, cols] view, in one pass: libnd4j's
     * batchnorm op over [1, rows, cols, 1] (oneDNN on the CPU), whose "channels" are our rows. ND4J's
     * row-broadcast operations do the same arithmetic 10-20x slower. Null arguments mean mean 0, var 1 with
     * no eps, scale 1, shift 0.
     */
    private void rowAffine(INDArray in, INDArray out, long rows, long cols, INDArray mean, INDArray var, double eps,
                           INDArray scale, INDArray shift) {
        DataType t = dataType;
        Nd4j.exec(DynamicCustomOp.builder("batchnorm")
                .addInputs(in.reshape('c', 1, rows, cols, 1),
                        mean != null ? mean : constant(zeros, 0, rows),
                        var != null ? var : constant(ones, 1, rows),
                        scale != null ? scale : constant(ones, 1, rows),
                        shift != null ? shift : constant(zeros, 0, rows))
                .addOutputs(out.reshape('c', 1, rows, cols, 1))
                .addIntegerArguments(1, 1, 1)
                .addFloatingPointArguments(var != null ? eps : TINY)
                .build());
    }

    private INDArray constant(java.util.Map<Long, INDArray> cache, double value, long length) {
        INDArray c = cache.get(length);
        if (c == null || c.dataType() != dataType) {
            try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                c = Nd4j.valueArrayOf(new long[] {length}, value, dataType);
            }
            cache.put(length, c);
        }
        return c;
    }

    /** γ or β [C] tiled over the samples: [N·C]. */
    private static INDArray tile(INDArray perChannel, Dims d) {
        return perChannel.reshape(1, d.c).repeat(0, d.n).reshape(d.n * d.c);
    }

    /** Expands per-group values [N·G] to per-(sample, channel) values [N·C] (each repeated C/G times). */
    private static INDArray perChannel(INDArray perGroup, Dims d) {
        return perGroup.reshape(d.n * d.g, 1).repeat(1, d.c / d.g).reshape(d.n * d.c);
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

    /** z = x − x₀ ([N,C,H,W]); x₀, E[z] and σ² per group ([N·G]). */
    private record Stats(INDArray z, INDArray shift, INDArray zMean, INDArray var) {}

    @Override
    public void clear() {
        super.clear();
        statsInput = null;
        statsCache = null;
    }
}
