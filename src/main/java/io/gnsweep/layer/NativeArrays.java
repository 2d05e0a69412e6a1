package io.gnsweep.layer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What gnsweep's other native kernels (the optimisers' fused updates, {@code io.gnsweep.optim.UpdaterKernels})
 * share with the layer's: the one library {@link NativeKernels} loads, the rule for when it runs (Linux x86-64,
 * ND4J's CPU backend, float or double, {@value NativeKernels#PROPERTY} not {@code false}), and how an array's
 * memory is handed to C.
 */
public final class NativeArrays {
    private NativeArrays() {}

    /** Whether kernels should run on arrays of this type now; loads the library on first use. */
    public static boolean use(DataType type) {
        return NativeKernels.use(type);
    }

    /** Whether a's elements lie one after another in memory in C order from its first element. */
    public static boolean isDense(INDArray a) {
        return NativeKernels.isDense(a, 'c');
    }

    /** The address of a's first element. */
    public static long address(INDArray a) {
        return NativeKernels.address(a);
    }

    /** Keeps the arrays, and their native memory, reachable until here (see NativeKernels): call after a kernel. */
    public static void keepAlive(INDArray... arrays) {
        NativeKernels.keepAlive(arrays);
    }
}
