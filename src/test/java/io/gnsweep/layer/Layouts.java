package io.gnsweep.layer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The memory layouts in which ND4J can hand a layer the same logical [N, C, H, W] or [N, C] array: what a
 * layer test builds its input (and output gradient) in, to check the layer reads each one right.
 */
enum Layouts {
    /** {@code Nd4j.create} in C order: [N, C, 1, 1] then has strides [C, 1, 1, 1], not ND4J's "default" ones. */
    FRESH,
    /** A copy in F order: dense, but C-contiguous only where at most one dimension exceeds 1. */
    F_ORDER,
    /** Samples 1..N of a larger batch: a dense view with an offset into its buffer. */
    OFFSET_VIEW,
    /** The first half of a last dimension twice as long: a strided view, not dense. */
    STRIDED_VIEW,
    /** NHWC (or [C, N]) memory permuted to NCHW ([N, C]): a view that is dense in no order in general. */
    PERMUTED;

    /** values (the logical array in C order) of this shape, laid out this way, as type. */
    INDArray make(double[] values, long[] shape, DataType type) {
        INDArray logical = Nd4j.create(values, shape, 'c').castTo(type);
        int rank = shape.length;
        switch (this) {
            case FRESH:
                return logical;
            case F_ORDER:
                return logical.dup('f');
            case OFFSET_VIEW: {
                long[] big = shape.clone();
                big[0] += 2;
                INDArray all = Nd4j.rand(type, big);
                INDArray view = all.get(index(rank, 0, NDArrayIndex.interval(1, 1 + shape[0])));
                return view.assign(logical);
            }
            case STRIDED_VIEW: {
                long[] big = shape.clone();
                big[rank - 1] *= 2;
                INDArray all = Nd4j.rand(type, big);
                INDArray view = all.get(index(rank, rank - 1, NDArrayIndex.interval(0, shape[rank - 1])));
                return view.assign(logical);
            }
            case PERMUTED: {
                if (rank == 2) {
                    return Nd4j.create(type, shape[1], shape[0]).transpose().assign(logical);
                }
                return Nd4j.create(type, shape[0], shape[2], shape[3], shape[1]).permute(0, 3, 1, 2).assign(logical);
            }
            default:
                throw new AssertionError(this);
        }
    }

    /** all() in every dimension but {@code dim}, which gets {@code at}. */
    private static INDArrayIndex[] index(int rank, int dim, INDArrayIndex at) {
        INDArrayIndex[] idx = new INDArrayIndex[rank];
        for (int i = 0; i < rank; i++) {
            idx[i] = i == dim ? at : NDArrayIndex.all();
        }
        return idx;
    }
}
