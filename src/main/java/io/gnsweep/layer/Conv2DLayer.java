package io.gnsweep.layer;

import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The computation of a {@link Conv2D} layer: {@link ConvKernels} where they apply (see Conv2D), else DL4J's
 * ConvolutionLayer code. Output sizes and padding come from DL4J's own rules ({@code ConvolutionUtils}), Same
 * mode's uneven padding included; each input shape (the last, smaller batch of an epoch, the test batches) gets
 * its own plan, kept until {@link #releasePlans} or until the layer is collected.
 */
public class Conv2DLayer extends ConvolutionLayer {
    private static final Cleaner CLEANER = Cleaner.create();

    /** A plan's sizes (see {@link #fusedDims}) and its native handle. */
    private record Plan(long[] dims, long handle) {}

    /** The plans by input shape; a separate object, so that the cleaner holds it and not the layer. */
    private static final class Plans implements Runnable {
        final Map<String, Plan> byShape = new HashMap<>();

        @Override
        public synchronized void run() {
            byShape.values().forEach(p -> ConvKernels.free(p.handle()));
            byShape.clear();
        }
    }

    private final Plans plans = new Plans();
    /** The last input shape and its plan (a step's calls all have the batch's shape): no lookup then. */
    private long[] lastShape;
    private Plan last;
    private boolean inputGradient = true;

    public Conv2DLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        CLEANER.register(this, plans);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        Plan p = planFor(input);
        if (p == null) {
            return super.activate(training, workspaceMgr);
        }
        long[] d = p.dims();
        INDArray x = LayerPlumbing.contiguous(input);
        INDArray w = params.get(ConvolutionParamInitializer.WEIGHT_KEY);
        INDArray b = layerConf().hasBias() ? params.get(ConvolutionParamInitializer.BIAS_KEY) : null;
        long oh = ConvKernels.outSize(d[2], d[5], d[7], d[9], d[11]);
        long ow = ConvKernels.outSize(d[3], d[6], d[8], d[10], d[12]);
        INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {d[0], d[4], oh, ow},
                'c');
        ConvKernels.forward(p.handle(), d, x, LayerPlumbing.contiguous(w), b == null ? null : LayerPlumbing.contiguous(b),
                y);
        return y;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        Plan p = planFor(input);
        if (p == null) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        long[] d = p.dims();
        INDArray x = LayerPlumbing.contiguous(input);
        INDArray w = LayerPlumbing.contiguous(params.get(ConvolutionParamInitializer.WEIGHT_KEY));
        INDArray dy = LayerPlumbing.contiguous(epsilon.castTo(dataType));
        INDArray dw = gradientViews.get(ConvolutionParamInitializer.WEIGHT_KEY);
        INDArray db = layerConf().hasBias() ? gradientViews.get(ConvolutionParamInitializer.BIAS_KEY) : null;
        INDArray dx = inputGradient ? workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c')
                : null;
        ConvKernels.backward(p.handle(), d, x, w, dy, dx, dw, db);
        Gradient g = new DefaultGradient();
        if (db != null) {
            g.setGradientFor(ConvolutionParamInitializer.BIAS_KEY, db);
        }
        g.setGradientFor(ConvolutionParamInitializer.WEIGHT_KEY, dw, 'c');
        return new Pair<>(g, dx);
    }

    /**
     * Whether {@link #backpropGradient} computes the gradient with respect to the layer's input (default true).
     * A network's first layer is fed its input, whose gradient training never uses: PyTorch skips that pass for
     * an input that does not require a gradient, and so does this layer where the oneDNN path runs and this is
     * false, returning null for it as DL4J's own layers do where they have no input gradient (EmbeddingLayer);
     * DL4J's code, where it runs instead, computes it anyway.
     */
    public void setInputGradient(boolean inputGradient) {
        this.inputGradient = inputGradient;
    }

    public boolean isInputGradient() {
        return inputGradient;
    }

    /**
     * What runs the forward pass for this input: oneDNN's implementation's name or {@code gnsweep:batch-gemm} (null
     * where DL4J's code runs).
     */
    public String implementation(INDArray in) {
        Plan p = planFor(in);
        return p == null ? null : ConvKernels.implementation(p.handle());
    }

    /**
     * What runs the backward-weights pass for this input: {@code gnsweep:batch-gemm}, oneDNN's implementation's
     * name, empty before its first use (null where DL4J's code runs).
     */
    public String backwardWeightsImplementation(INDArray in) {
        Plan p = planFor(in);
        return p == null ? null : ConvKernels.backwardWeightsImplementation(p.handle());
    }

    /**
     * Frees this layer's plans now (a finished trial's network is garbage long before a mostly idle heap collects
     * it); the layer still works afterwards, making plans again on first use.
     */
    public void releasePlans() {
        plans.run();
        last = null;
        lastShape = null;
    }

    /**
     * Frees the buffers the calling thread's plans share (see conv_kernels.c): at the end of a trial, on its
     * thread, as plans are freed; its next convolution makes them again.
     */
    public static void releaseThreadBuffers() {
        ConvKernels.releaseThreadBuffers();
    }

    /** oneDNN plans made and not yet freed in this JVM, over all layers. */
    public static long livePlans() {
        return ConvKernels.livePlans();
    }

    /** Whether gnsweep's oneDNN convolution is built and loaded here (it may still be switched off, see Conv2D). */
    public static boolean dnnlAvailable() {
        return ConvKernels.unavailableReason() == null;
    }

    /** The plan for this input, made on its shape's first use; null where DL4J's code runs (see fusedDims). */
    private Plan planFor(INDArray in) {
        if (!ConvKernels.use(dataType) || in == null) {
            return null;
        }
        long[] shape = in.shape();
        if (last != null && in.dataType() == DataType.FLOAT && Arrays.equals(shape, lastShape)) {
            return last;
        }
        long[] d = computeDims(in);
        if (d == null) {
            return null;
        }
        String key = d[0] + "x" + d[2] + "x" + d[3];
        Plan p;
        synchronized (plans) {
            p = plans.byShape.computeIfAbsent(key, k -> new Plan(d, ConvKernels.create(d, layerConf().hasBias())));
        }
        lastShape = shape;
        last = p;
        return p;
    }

    /**
     * The plan's sizes {n, ci, h, w, co, kh, kw, sh, sw, pad top, pad left, pad bottom, pad right} when the oneDNN
     * path runs for this input, else null: float32 on the CPU with the library loaded, NCHW rank 4 with the
     * layer's channels, no dilation, identity activation, no dropout or weight noise, no negative padding.
     */
    long[] fusedDims(INDArray in) {
        Plan p = planFor(in);
        return p == null ? null : p.dims();
    }

    private long[] computeDims(INDArray in) {
        org.deeplearning4j.nn.conf.layers.ConvolutionLayer c = layerConf();
        if (in.rank() != 4 || in.dataType() != DataType.FLOAT
                || c.getCnn2dDataFormat() != CNN2DFormat.NCHW || c.getDilation()[0] != 1 || c.getDilation()[1] != 1
                || !(c.getActivationFn() instanceof ActivationIdentity) || c.getIDropout() != null
                || c.getWeightNoise() != null || in.size(1) != c.getNIn()) {
            return null;
        }
        int[] k = c.getKernelSize();
        int[] s = c.getStride();
        int h = (int) in.size(2);
        int w = (int) in.size(3);
        ConvolutionMode mode = c.getConvolutionMode();
        boolean same = mode == ConvolutionMode.Same;
        int[] out;
        try {
            out = ConvolutionUtils.getOutputSize(in, k, s, same ? null : c.getPadding(), mode,
                    c.getDilation(), CNN2DFormat.NCHW);
        } catch (RuntimeException e) {
            return null; // DL4J's code reports the bad size
        }
        int[] top = same ? ConvolutionUtils.getSameModeTopLeftPadding(out, new int[] {h, w}, k, s, c.getDilation())
                : c.getPadding();
        // the padding after: what the output size uses (Truncate mode may leave some of the configured one, or
        // some of the input, unused; oneDNN's output size rounds down as DL4J's does)
        long bottom = Math.max(0, (long) (out[0] - 1) * s[0] + k[0] - h - top[0]);
        long right = Math.max(0, (long) (out[1] - 1) * s[1] + k[1] - w - top[1]);
        if (top[0] < 0 || top[1] < 0 || out[0] < 1 || out[1] < 1
                || ConvKernels.outSize(h, k[0], s[0], top[0], bottom) != out[0]
                || ConvKernels.outSize(w, k[1], s[1], top[1], right) != out[1]) {
            return null;
        }
        return new long[] {in.size(0), in.size(1), h, w, c.getNOut(), k[0], k[1], s[0], s[1], top[0], top[1], bottom,
            right};
    }
}
