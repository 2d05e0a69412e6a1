package io.gnsweep.layer;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The computation of a {@link MaxPool} layer: {@link PoolKernels} where they apply (see MaxPool), else DL4J's
 * SubsamplingLayer code. Output sizes and padding come from DL4J's own rules ({@code ConvolutionUtils}), so the
 * kernels run exactly where DL4J's pooling would need no padding.
 */
public class MaxPoolLayer extends SubsamplingLayer {

    public MaxPoolLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        if (!fusedFor(input)) {
            return super.activate(training, workspaceMgr);
        }
        INDArray x = LayerPlumbing.contiguous(input.castTo(dataType));
        int[] out = outSize(x);
        int[] k = layerConf().getKernelSize();
        int[] s = layerConf().getStride();
        INDArray y = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType,
                new long[] {x.size(0), x.size(1), out[0], out[1]}, 'c');
        PoolKernels.forward(x, y, k[0], k[1], s[0], s[1]);
        return y;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        if (!fusedFor(input)) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        INDArray x = LayerPlumbing.contiguous(input.castTo(dataType));
        INDArray dy = LayerPlumbing.contiguous(epsilon.castTo(dataType));
        int[] k = layerConf().getKernelSize();
        int[] s = layerConf().getStride();
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        PoolKernels.backward(x, dy, dx, k[0], k[1], s[0], s[1]);
        return new Pair<>(new DefaultGradient(), dx);
    }

    /** Whether the kernels run: max pooling of a rank-4 NCHW input that DL4J would pool without padding or dilation. */
    boolean fusedFor(INDArray in) {
        org.deeplearning4j.nn.conf.layers.SubsamplingLayer c = layerConf();
        if (!NativeKernels.use(dataType) || in.rank() != 4 || c.getPoolingType() != PoolingType.MAX
                || c.getCnn2dDataFormat() != CNN2DFormat.NCHW || c.getDilation()[0] != 1 || c.getDilation()[1] != 1) {
            return false;
        }
        int[] pad = padding(in);
        return Arrays.stream(pad).allMatch(p -> p == 0) && in.size(2) >= c.getKernelSize()[0]
                && in.size(3) >= c.getKernelSize()[1];
    }

    private int[] outSize(INDArray in) {
        org.deeplearning4j.nn.conf.layers.SubsamplingLayer c = layerConf();
        boolean same = c.getConvolutionMode() == ConvolutionMode.Same;
        return ConvolutionUtils.getOutputSize(in, c.getKernelSize(), c.getStride(), same ? null : c.getPadding(),
                c.getConvolutionMode(), c.getDilation(), CNN2DFormat.NCHW);
    }

    /** DL4J's padding for this input: Same mode's top-left padding, else the configured one. */
    private int[] padding(INDArray in) {
        org.deeplearning4j.nn.conf.layers.SubsamplingLayer c = layerConf();
        if (c.getConvolutionMode() != ConvolutionMode.Same) {
            return c.getPadding();
        }
        int[] out = outSize(in);
        int[] pad = ConvolutionUtils.getSameModeTopLeftPadding(out, new int[] {(int) in.size(2), (int) in.size(3)},
                c.getKernelSize(), c.getStride(), c.getDilation());
        // Same mode can also pad at the bottom-right: the kernels take no padding on either side
        int[] bottomRight = ConvolutionUtils.getSameModeBottomRightPadding(out,
                new int[] {(int) in.size(2), (int) in.size(3)}, c.getKernelSize(), c.getStride(), c.getDilation());
        return new int[] {pad[0], pad[1], bottomRight[0], bottomRight[1]};
    }
}
