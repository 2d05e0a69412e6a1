package io.gnsweep.layer;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
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

    /** μ and 1/sqrt(σ² + eps) of the last training forward pass, [N·G], kept for backprop. */
    private INDArray cachedMean;
    private INDArray cachedRstd;

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
        // Statistics per (sample, group) over its M values: [N,C,H,W] -> [N·G, M] -> [N·G].
        // Shifted two-pass: z = x − μ₀ with μ₀ = E[x] (exact in float32 since x ≈ μ₀ when |μ| >> σ), then
        // E[z] and σ² = Var[z] on the centred values. Neither E[x²] − E[x]² nor a·x + (β − μ·a) is used:
        // both cancel catastrophically in float32 for inputs with a large mean.
        long rows = d.n * d.g;
        INDArray xg = x.reshape('c', rows, d.m);
        INDArray shift = xg.mean(1).reshape(rows);                                     // μ₀
        INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
        INDArray z = y.reshape('c', rows, d.m);
        Nd4j.getExecutioner().exec(new BroadcastSubOp(xg, shift, z, 0));                // z = x − μ₀
        INDArray residual = z.mean(1).reshape(rows);                                    // E[z] = μ − μ₀
        INDArray rstd = Transforms.pow(z.var(false, 1).reshape(rows).addi(layerConf().getEps()), -0.5, false);

        // y = γ_c·(z − E[z])·rstd + β_c = a·z + b per (sample, channel), a = γ_c·rstd, b = β_c − E[z]·a.
        INDArray gamma = getParam(GroupNormParamInitializer.GAMMA).reshape(1, d.c);
        INDArray beta = getParam(GroupNormParamInitializer.BETA).reshape(1, d.c);
        INDArray a = perChannel(rstd, d).mulRowVector(gamma);                           // [N, C]
        INDArray b = perChannel(residual, d).muli(a).rsubiRowVector(beta);              // [N, C]
        INDArray zc = y.reshape('c', d.n * d.c, d.s);
        Nd4j.getExecutioner().exec(new BroadcastMulOp(zc, a.reshape(d.n * d.c), zc, 0));
        Nd4j.getExecutioner().exec(new BroadcastAddOp(zc, b.reshape(d.n * d.c), zc, 0));
        INDArray mean = shift.addi(residual);

        if (training) {
            cachedMean = mean.detach();
            cachedRstd = rstd.detach();
        } else {
            cachedMean = null;
            cachedRstd = null;
        }
        return y;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        INDArray x = contiguous(input.castTo(dataType));
        INDArray dy = contiguous(epsilon.castTo(dataType));
        Dims d = dims(x);
        INDArray mean = cachedMean;
        INDArray rstd = cachedRstd;
        if (mean == null || mean.length() != d.n * d.g) {
            INDArray xg = x.reshape('c', d.n * d.g, d.m);
            mean = xg.mean(1).reshape(d.n * d.g);
            rstd = Transforms.pow(xg.var(false, 1).reshape(d.n * d.g).addi(layerConf().getEps()), -0.5, false);
        }
        INDArray gamma = getParam(GroupNormParamInitializer.GAMMA).reshape(1, d.c);

        // x̂ = (x − μ)·rstd, [N·G, M]. Built explicitly rather than expanding Σ dy·x − μ·Σ dy, which
        // cancels catastrophically in float32 when |μ| >> σ. Its buffer becomes dx below.
        INDArray xhat = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        INDArray xhatG = xhat.reshape('c', d.n * d.g, d.m);
        Nd4j.getExecutioner().exec(new BroadcastSubOp(x.reshape('c', d.n * d.g, d.m), mean, xhatG, 0));
        Nd4j.getExecutioner().exec(new BroadcastMulOp(xhatG, rstd, xhatG, 0));

        // Per (sample, channel) sums over S: Σ dy ([N·C]) and Σ dy·x̂ ([N·C]).
        INDArray dyC = dy.reshape('c', d.n * d.c, d.s);
        INDArray xhatC = xhat.reshape('c', d.n * d.c, d.s);
        INDArray sumDy = dyC.sum(1).reshape('c', d.n, d.c);
        INDArray sumDyXhat = Nd4j.getExecutioner().exec(new Dot(dyC, xhatC, 1)).reshape('c', d.n, d.c);

        // dβ_c = Σ_n Σ_s dy;  dγ_c = Σ_n Σ_s dy·x̂.
        Gradient gradient = new DefaultGradient();
        INDArray dGamma = gradientViews.get(GroupNormParamInitializer.GAMMA);
        INDArray dBeta = gradientViews.get(GroupNormParamInitializer.BETA);
        dGamma.assign(sumDyXhat.sum(0).reshape(dGamma.shape()));
        dBeta.assign(sumDy.sum(0).reshape(dBeta.shape()));
        gradient.setGradientFor(GroupNormParamInitializer.GAMMA, dGamma);
        gradient.setGradientFor(GroupNormParamInitializer.BETA, dBeta);

        // With g = γ_c·dy, the group means A = E[g] and B = E[g·x̂] ([N·G]) give
        // dx = rstd·(g − A − x̂·B) = p·dy + q·x̂ + r, p = rstd·γ_c, q = −rstd·B, r = −rstd·A.
        int perGroup = (int) (d.c / d.g);
        INDArray meanG = sumDy.mulRowVector(gamma).reshape('c', d.n * d.g, perGroup).sum(1).reshape(d.n * d.g).divi(d.m);
        INDArray meanGXhat = sumDyXhat.mulRowVector(gamma).reshape('c', d.n * d.g, perGroup).sum(1).reshape(d.n * d.g).divi(d.m);
        INDArray q = perChannel(meanGXhat.muli(rstd).negi(), d).reshape(d.n * d.c);
        INDArray r = perChannel(meanG.muli(rstd).negi(), d).reshape(d.n * d.c);
        INDArray p = perChannel(rstd, d).mulRowVector(gamma).reshape(d.n * d.c);

        Nd4j.getExecutioner().exec(new BroadcastMulOp(xhatC, q, xhatC, 0));
        Nd4j.getExecutioner().exec(new BroadcastAddOp(xhatC, r, xhatC, 0));
        INDArray pDy = Nd4j.createUninitialized(dataType, d.n * d.c, d.s);
        Nd4j.getExecutioner().exec(new BroadcastMulOp(dyC, p, pDy, 0));
        xhatC.addi(pDy);

        cachedMean = null;
        cachedRstd = null;
        return new Pair<>(gradient, xhat);
    }

    /** Expands per-group values [N·G] to per-channel values [N, C] (each repeated C/G times). */
    private static INDArray perChannel(INDArray perGroup, Dims d) {
        return perGroup.reshape(d.n * d.g, 1).repeat(1, d.c / d.g).reshape('c', d.n, d.c);
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

    @Override
    public void clear() {
        super.clear();
        cachedMean = null;
        cachedRstd = null;
    }

    private record Dims(long n, long c, long s, long g, long m) {}
}
