package io.gnsweep.layer;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The computation of a {@link BatchNorm} layer: DL4J's BatchNormalization layer whose forward and backward
 * passes run the fused CPU kernels of {@link NativeKernels} where they apply, else DL4J's own code (its
 * whole-array ND4J operations, or its oneDNN / cuDNN helper where DL4J has one), as {@link ReluLayer} does.
 *
 * <p>The kernels apply to NCHW [N, C, H, W] and [N, C] input of type float or double, with trained γ and β
 * (not {@code lockGammaBeta}), on ND4J's CPU backend, where {@link NativeKernels#use} allows (the library loaded,
 * {@value NativeKernels#PROPERTY} not {@code false}); the property is read at each forward pass, and a backward
 * pass takes the path its training forward pass took. They compute what DL4J's layer computes
 * ({@link BatchNorm}), with every sum in double:
 * <ul>
 *   <li>forward, training: the batch's μ and biased σ² per channel (kept for the backward pass), y = γ·x̂ + β;
 *   <li>forward, inference: the same with the running statistics;
 *   <li>backward: dβ = Σ dy, dγ = Σ dy·x̂ and dx = γ·r·(dy − dβ/M − x̂·dγ/M) with r = 1/sqrt(σ² + eps), M = N·H·W;
 *       and the running statistics' step DL4J's layer leaves to the NoOp updater it gives them (running −=
 *       "gradient" in {@code fit}), taken here at once with the same values and rounding: the "gradients" are
 *       (1 − decay)·(μ_run − μ) for the mean; for the log10 std, log10 sqrt(σ²_run / (decay·σ²_run +
 *       (1 − decay)·σ²)); for a variance, (1 − decay)·(σ²_run − σ²); their gradient entries stay zero. The
 *       statistics then share the updater of γ and β ({@link BatchNorm}), whose step on a zero gradient is zero,
 *       so the network's parameters form one updater block instead of two per BatchNorm layer (at batch 2 the
 *       per-block work of DL4J's updater was a quarter of a ResNet-20 step).
 * </ul>
 * DL4J's layer in 1.0.0-M2.1 computes the same on every path: its built-in code, and its oneDNN helper (float
 * only, on by {@code io.gnsweep.runtime.NativeSetup}), whose batch statistics and running-statistics rule are the
 * built-in ones. Like DL4J's, the layer applies no dropout. One difference: where DL4J's code runs, [N, C] input
 * that is not C-ordered is copied to C order first, as DL4J's oneDNN helper computes wrong outputs from it in
 * 1.0.0-M2.1 ({@code BatchNormTest}).
 */
public class BatchNormLayer extends BatchNormalization {
    /** The fused ReLU's arithmetic where DL4J's code runs: DL4J's ReLU activation, as its ActivationLayer runs it. */
    private static final ActivationReLU RELU = new ActivationReLU();
    /** The input of the last training forward pass, and whether the kernels ran it. */
    private transient INDArray forwardInput;
    private transient boolean forwardFused;
    /** The output of that pass where DL4J's code ran it with the ReLU fused (its mask for the backward pass). */
    private transient INDArray forwardOutput;
    /** The batch's μ and σ² per channel of that pass when fused (double, [C], outside workspaces). */
    private transient INDArray batchMean;
    private transient INDArray batchVar;

    public BatchNormLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        boolean fused = fusedFor(input) && NativeKernels.use(dataType);
        if (!fused && input.rank() == 2 && (input.ordering() != 'c' || !NativeKernels.isDense(input, 'c'))) {
            // DL4J's oneDNN helper gives wrong outputs for [N, C] input that is not C-ordered (a dense layer's
            // F-ordered output, a transposed view): hand DL4J's code a C-ordered copy, kept for backprop as its
            // own input copies are (ArrayType.INPUT)
            input = workspaceMgr.dup(ArrayType.INPUT, input, 'c');
        }
        if (training) {
            forwardInput = input;
            forwardFused = fused;
            forwardOutput = null;
        }
        if (!fused) {
            INDArray out = super.activate(training, workspaceMgr);
            if (relu()) {
                out = RELU.getActivation(out, training);
                if (training) {
                    forwardOutput = out;
                }
            }
            return out;
        }
        INDArray x = LayerPlumbing.contiguous(input.castTo(dataType));
        long n = x.size(0);
        long c = x.size(1);
        long s = spatial(x);
        INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, x.shape(), 'c');
        INDArray gamma = getParam(BatchNormalizationParamInitializer.GAMMA);
        INDArray beta = getParam(BatchNormalizationParamInitializer.BETA);
        double eps = layerConf().getEps();
        if (training) {
            if (batchMean == null || batchMean.length() != c) {
                try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                    batchMean = Nd4j.createUninitialized(DataType.DOUBLE, c);
                    batchVar = Nd4j.createUninitialized(DataType.DOUBLE, c);
                }
            }
            NativeKernels.batchNormTrain(x, y, gamma, beta, n, c, s, eps, relu(), batchMean, batchVar);
        } else {
            NativeKernels.batchNormInfer(x, y, gamma, beta, n, c, s, eps, relu(),
                    getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN), runningStat(), layerConf().isUseLogStd());
        }
        return y;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        boolean cached = forwardInput == input && forwardFused;
        boolean fused = forwardInput == input ? forwardFused : fusedFor(input) && NativeKernels.use(dataType);
        INDArray output = forwardInput == input ? forwardOutput : null;
        forwardInput = null;
        forwardOutput = null;
        if (!fused) {
            if (relu()) {
                // DL4J's ReLU backward on the forward pass's outputs (again, if that pass was not on this input)
                if (output == null) {
                    output = RELU.getActivation(super.activate(true, workspaceMgr), true);
                }
                epsilon = RELU.backprop(workspaceMgr.dup(ArrayType.BP_WORKING_MEM, output), epsilon).getFirst();
            }
            return applyRunningStatistics(super.backpropGradient(epsilon, workspaceMgr));
        }
        INDArray x = LayerPlumbing.contiguous(input.castTo(dataType));
        INDArray dy = LayerPlumbing.contiguous(epsilon.castTo(dataType));
        long n = x.size(0);
        long c = x.size(1);
        long s = spatial(x);
        double eps = layerConf().getEps();
        INDArray mean = batchMean;
        INDArray var = batchVar;
        if (!cached) { // no forward pass on this input: its statistics anew
            mean = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.DOUBLE, new long[] {c}, 'c');
            var = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.DOUBLE, new long[] {c}, 'c');
            NativeKernels.batchNormTrain(x, null, null, null, n, c, s, eps, false, mean, var);
        }
        boolean logStd = layerConf().isUseLogStd();
        String statKey = statKey();
        INDArray dGamma = gradientViews.get(BatchNormalizationParamInitializer.GAMMA);
        INDArray dBeta = gradientViews.get(BatchNormalizationParamInitializer.BETA);
        INDArray dMean = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_MEAN);
        INDArray dStat = gradientViews.get(statKey);
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        NativeKernels.batchNormBackward(x, dy, dx, getParam(BatchNormalizationParamInitializer.GAMMA),
                relu() ? getParam(BatchNormalizationParamInitializer.BETA) : null, mean, var,
                dGamma, dBeta, n, c, s, eps, getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN), runningStat(),
                dMean, dStat, layerConf().getDecay(), logStd);
        // the keys in the order DL4J's layer sets them
        Gradient gradient = new DefaultGradient();
        gradient.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGamma);
        gradient.setGradientFor(BatchNormalizationParamInitializer.BETA, dBeta);
        gradient.setGradientFor(BatchNormalizationParamInitializer.GLOBAL_MEAN, dMean);
        gradient.setGradientFor(statKey, dStat);
        return new Pair<>(gradient, dx);
    }

    /**
     * DL4J's code leaves the running statistics' step to the NoOp updater; here, as the kernels do, it is taken
     * at once (running −= gradient, the updater step's rounding) and the gradients left zero (see BatchNorm).
     */
    private Pair<Gradient, INDArray> applyRunningStatistics(Pair<Gradient, INDArray> out) {
        for (String key : new String[] {BatchNormalizationParamInitializer.GLOBAL_MEAN, statKey()}) {
            INDArray g = out.getFirst().getGradientFor(key);
            getParam(key).subi(g.reshape(getParam(key).shape()));
            g.assign(0);
            gradientViews.get(key).assign(0);
        }
        return out;
    }

    /**
     * Every gradient of this layer is divided by the minibatch size: the running statistics' are zero (they are
     * applied in the backward pass), and dividing them keeps the network's division one contiguous range.
     */
    @Override
    public boolean updaterDivideByMinibatch(String paramName) {
        return true;
    }

    /** The helper DL4J's code would run here: none where the kernels run. */
    @Override
    public LayerHelper getHelper() {
        return kernelsApply() && NativeKernels.use(dataType) ? null : super.getHelper();
    }

    @Override
    public void clear() {
        super.clear();
        forwardInput = null;
        forwardOutput = null;
    }

    /** Whether the configuration fuses a ReLU into the layer ({@link BatchNorm#isRelu}). */
    private boolean relu() {
        return layerConf() instanceof BatchNorm b && b.isRelu();
    }

    /** Whether the kernels can compute this configuration on this input (type and property aside). */
    private boolean fusedFor(INDArray in) {
        return kernelsApply() && (in.rank() == 2 || in.rank() == 4) && in.size(1) == layerConf().getNOut()
                && in.length() > 0;
    }

    private boolean kernelsApply() {
        org.deeplearning4j.nn.conf.layers.BatchNormalization conf = layerConf();
        return !conf.isLockGammaBeta() && conf.getCnn2DFormat() == CNN2DFormat.NCHW;
    }

    /** The running variance, or log10 std with useLogStd. */
    private INDArray runningStat() {
        return getParam(statKey());
    }

    /** The running variance's parameter key, or the log10 std's with useLogStd. */
    private String statKey() {
        return layerConf().isUseLogStd() ? BatchNormalizationParamInitializer.GLOBAL_LOG_STD
                : BatchNormalizationParamInitializer.GLOBAL_VAR;
    }

    private static long spatial(INDArray x) {
        return x.rank() == 4 ? x.size(2) * x.size(3) : 1;
    }
}
