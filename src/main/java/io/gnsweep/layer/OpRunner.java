package io.gnsweep.layer;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SquaredDifferenceOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs {@link GroupNormLayer}'s libnd4j custom ops through two op contexts it keeps, where
 * {@code Nd4j.exec(op)} builds and frees a native context per op. On small tensors the layer is dispatch
 * bound, and there a fresh context is the largest cost: its native allocation goes through JavaCPP's
 * physical-memory check and its release through ND4J's deallocator thread (a JFR profile of a
 * [4, 32, 16, 16] layer put more native samples in those than in the ops themselves). Row sums go through the
 * same matmul op that {@code Nd4j.gemm} runs, without its checks, and skip oneDNN's matmul below
 * {@link #ONEDNN_MIN_ELEMENTS}, where its per-call setup costs more than the sum (~9 µs against ~4 µs on
 * [64, 32]; on [2048, 1024] oneDNN is 4x faster than the plain BLAS gemv).
 *
 * <p>The op objects are stateless prototypes (the executioner reads only their name and hash); the arrays
 * and arguments live in the contexts. Each op's arrays are purged from its context right after it runs:
 * libnd4j keeps a native handle per array set on a context until then, and without the purge a batch-4
 * small CNN's resident memory grew by ~100 MB per 2,000 iterations ({@code docs/physcheck-rss.txt}). One
 * runner per layer instance, used by one thread at a time, as DL4J uses a layer.
 */
final class OpRunner {
    static final CustomOp MUL = new MulOp();
    static final CustomOp ADD = new AddOp();
    static final CustomOp SUB = new SubOp();
    static final CustomOp SQUARED_DIFFERENCE = new SquaredDifferenceOp();
    private static final CustomOp MATMUL = new Mmul();

    /** Row sums over fewer elements than this skip oneDNN's matmul (see the class comment). */
    static final long ONEDNN_MIN_ELEMENTS = 16_384;

    private final DataType dataType;
    /** Vectors of ones by length (outside workspaces), the other operand of the row- and column-sum matmuls. */
    private final Map<Long, INDArray> ones = new HashMap<>();
    private OpContext pairwise;
    private OpContext matmul;

    OpRunner(DataType dataType) {
        this.dataType = dataType;
    }

    /** out = op(a, b) for a pairwise op with broadcasting ({@link #MUL}, {@link #ADD}, ...); returns out. */
    INDArray exec(CustomOp op, INDArray a, INDArray b, INDArray out) {
        if (pairwise == null) {
            pairwise = Nd4j.getExecutioner().buildContext();
        }
        pairwise.setInputArrays(a, b);
        pairwise.setOutputArrays(out);
        try {
            Nd4j.exec(op, pairwise);
        } finally {
            pairwise.purge(); // frees the native array handles each set*Arrays call adds to the context
        }
        return out;
    }

    /** out = op(a, b) into a new array of the given shape (current workspace, if any); returns out. */
    INDArray exec(CustomOp op, INDArray a, INDArray b, long... shape) {
        return exec(op, a, b, Nd4j.createUninitialized(dataType, shape));
    }

    /** scale·Σ over each row of a C-ordered [rows, cols] array: a new [rows, 1] array. */
    INDArray rowSums(INDArray a, double scale) {
        INDArray out = Nd4j.createUninitialized(dataType, a.size(0), 1);
        matmul(a, ones(a.size(1)).reshape(a.size(1), 1), out, scale);
        return out;
    }

    /** Σ over each column of a C-ordered [rows, cols] array, written into out ([1, cols], may be a view). */
    void columnSumsInto(INDArray a, INDArray out) {
        matmul(ones(a.size(0)).reshape(1, a.size(0)), a, out, 1.0);
    }

    private void matmul(INDArray a, INDArray b, INDArray out, double scale) {
        if (matmul == null) {
            matmul = Nd4j.getExecutioner().buildContext();
            matmul.setIArguments(0, 0, 0); // no transposes
        }
        matmul.allowHelpers(a.length() + b.length() >= ONEDNN_MIN_ELEMENTS);
        matmul.setTArguments(scale, 0.0); // out = scale·a·b + 0·out
        matmul.setInputArrays(a, b);
        matmul.setOutputArrays(out);
        try {
            Nd4j.exec(MATMUL, matmul);
        } finally {
            matmul.purge();
        }
    }

    private INDArray ones(long length) {
        INDArray one = ones.get(length);
        if (one == null) {
            try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                one = Nd4j.ones(dataType, length);
            }
            ones.put(length, one);
        }
        return one;
    }
}
