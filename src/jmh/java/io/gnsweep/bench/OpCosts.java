package io.gnsweep.bench;

import io.gnsweep.runtime.NativeSetup;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.reduce.floating.SquaredNorm;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.summarystats.Variance;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What single ND4J calls cost on this machine, one native thread: the measurements behind the GroupNorm
 * layer's choice of operations (README, "Speed"). Per call, best of 9 batches timed round-robin across the
 * cases, on a float [rows, cols] array (default 2048 x 1024 = 8 MB, i.e. [32,64,32,32] viewed as [N·C, H·W]):
 * a per-row scale by a [rows, 1] operand seven ways (in place, out of place, through a reused op context and
 * libnd4j's batchnorm op with and without oneDNN among them), a row sum five ways, one-pass row statistics
 * and row dot products (what a fused GroupNorm would need, and ND4J does slowly), {@code repeat} on a small vector, and a new array from fresh memory vs in
 * a reused workspace. Run it on a small array too (e.g. {@code 64 32}), where the per-call overhead is what
 * counts.
 *
 * <pre>
 * jobs/bench.sh --parts layer     # builds target/bench/classes and target/bench/classpath.txt
 * java -cp "target/classes:target/bench/classes:$(cat target/bench/classpath.txt)" io.gnsweep.bench.OpCosts [ROWS COLS]
 * </pre>
 */
public final class OpCosts {
    /** Calls per timed batch: 10 on the default 8 MB array, more on small ones (up to 2,000). */
    private static int reps = 10;

    private OpCosts() {}

    public static void main(String[] args) {
        if (args.length != 0 && (args.length != 2 || !args[0].matches("[1-9][0-9]*") || !args[1].matches("[1-9][0-9]*"))) {
            System.err.println("usage: OpCosts [ROWS COLS]   (positive integers; default 2048 1024)");
            System.exit(2);
        }
        NativeSetup.init();
        NativeSetup.bindThreads(1);
        long rows = args.length == 2 ? Long.parseLong(args[0]) : 2048;
        long cols = args.length == 2 ? Long.parseLong(args[1]) : 1024;
        reps = (int) Math.max(10, Math.min(2_000, 20_000_000 / (rows * cols)));
        System.out.printf(Locale.ROOT, "float [%d, %d] (%.1f MB), 1 native thread, microseconds per call:%n", rows, cols,
                rows * cols * 4 / 1e6);
        INDArray x = Nd4j.rand(DataType.FLOAT, rows, cols);
        INDArray out = Nd4j.create(DataType.FLOAT, rows, cols);
        INDArray col = Nd4j.rand(DataType.FLOAT, rows);
        INDArray zeros = Nd4j.zeros(DataType.FLOAT, rows);
        INDArray ones = Nd4j.ones(DataType.FLOAT, rows);
        INDArray onesCol = Nd4j.ones(DataType.FLOAT, cols, 1);
        INDArray sums = Nd4j.create(DataType.FLOAT, rows, 1);

        time("per-row scale: custom MulOp, [r,c] x [r,1]", () -> Nd4j.exec(new MulOp(x, col.reshape(rows, 1), out)));
        // by ones, so that repeated calls keep the values (no decay into slow denormals)
        time("per-row scale: MulOp in place (out = x), by ones", () -> Nd4j.exec(new MulOp(out, ones.reshape(rows, 1), out)));
        time("per-row scale: MulOp out of place, by ones", () -> Nd4j.exec(new MulOp(x, ones.reshape(rows, 1), out)));
        OpContext ctx = Nd4j.getExecutioner().buildContext();
        MulOp mul = new MulOp();
        time("per-row scale: MulOp, reused OpContext", () -> {
            ctx.setInputArrays(x, col.reshape(rows, 1));
            ctx.setOutputArrays(out);
            Nd4j.exec(mul, ctx);
        });
        time("per-row scale: libnd4j batchnorm op", () -> Nd4j.exec(DynamicCustomOp.builder("batchnorm")
                .addInputs(x.reshape('c', 1, rows, cols, 1), zeros, ones, col, zeros)
                .addOutputs(out.reshape('c', 1, rows, cols, 1)).addIntegerArguments(1, 1, 1)
                .addFloatingPointArguments(1e-30).build()));
        OpContext bnPlain = Nd4j.getExecutioner().buildContext();
        bnPlain.allowHelpers(false);
        bnPlain.setIArguments(1, 1, 1);
        bnPlain.setTArguments(1e-30);
        DynamicCustomOp batchnorm = DynamicCustomOp.builder("batchnorm").build();
        time("per-row scale: libnd4j batchnorm op, oneDNN off", () -> {
            bnPlain.setInputArrays(x.reshape('c', 1, rows, cols, 1), zeros, ones, col, zeros);
            bnPlain.setOutputArrays(out.reshape('c', 1, rows, cols, 1));
            Nd4j.exec(batchnorm, bnPlain);
            bnPlain.purge();
        });
        time("per-row scale: legacy BroadcastMulOp", () -> Nd4j.getExecutioner().exec(new BroadcastMulOp(x, col, out, 0)));
        time("element-wise add, in place", () -> out.addi(x));
        time("row sums: sum(1)", () -> x.sum(1));
        time("row sums: Dot(x, x, 1) (sum of squares)", () -> Nd4j.getExecutioner().exec(new Dot(x, x, 1)));
        time("row variances: Variance(x, 1) (one pass)", () -> Nd4j.getExecutioner().exec(new Variance(x, false, 1)));
        time("row sums of squares: SquaredNorm(x, 1)", () -> Nd4j.getExecutioner().exec(new SquaredNorm(x, false, 1)));
        INDArray rowDots = Nd4j.create(DataType.FLOAT, rows, 1, 1);
        OpContext bctx = Nd4j.getExecutioner().buildContext();
        bctx.setIArguments(0, 0, 0);
        bctx.setTArguments(1.0, 0.0);
        Mmul batched = new Mmul();
        time("row dots: batched matmul [r,1,c] x [r,c,1]", () -> {
            bctx.setInputArrays(x.reshape('c', rows, 1, cols), out.reshape('c', rows, cols, 1));
            bctx.setOutputArrays(rowDots);
            Nd4j.exec(batched, bctx);
            bctx.purge();
        });
        time("row sums: Nd4j.gemm(x, ones) (gemv)", () -> Nd4j.gemm(x, onesCol, sums, false, false, 1.0, 0.0));
        Mmul mmul = new Mmul();
        for (boolean helpers : new boolean[] {true, false}) {
            OpContext mctx = Nd4j.getExecutioner().buildContext();
            mctx.setIArguments(0, 0, 0);
            mctx.setTArguments(1.0, 0.0);
            mctx.allowHelpers(helpers);
            time("row sums: matmul, reused OpContext, " + (helpers ? "oneDNN" : "no oneDNN"), () -> {
                mctx.setInputArrays(x, onesCol);
                mctx.setOutputArrays(sums);
                Nd4j.exec(mmul, mctx);
            });
        }
        INDArray small = Nd4j.rand(DataType.FLOAT, 2048);
        time("repeat: [256, 8] -> [256, 32]", () -> small.reshape(256, 8).repeat(1, 4));
        time("new array, fresh memory (x.dup())", x::dup);
        WorkspaceConfiguration wc = WorkspaceConfiguration.builder().policyLearning(LearningPolicy.FIRST_LOOP)
                .policyAllocation(AllocationPolicy.STRICT).build();
        time("new array in a reused workspace (x.dup())", () -> {
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(wc, "OP_COSTS")) {
                x.dup();
            }
        });
        report();
    }

    private static final Map<String, Runnable> CASES = new LinkedHashMap<>();

    private static void time(String name, Runnable r) {
        CASES.put(name, r);
    }

    /** Warms every case up, then times them round-robin (9 rounds), so that a noisy spell on this shared
     * machine hits all cases alike; prints the best batch of each. */
    private static void report() {
        for (Runnable r : CASES.values()) {
            for (int i = 0; i < 5 * reps; i++) { // warm-up, JIT included
                r.run();
            }
        }
        Map<String, Long> best = new LinkedHashMap<>();
        for (int k = 0; k < 9; k++) {
            for (Map.Entry<String, Runnable> c : CASES.entrySet()) {
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    c.getValue().run();
                }
                best.merge(c.getKey(), (System.nanoTime() - t0) / reps, Math::min);
            }
        }
        best.forEach((name, ns) -> System.out.printf(Locale.ROOT, "  %-52s %9.1f%n", name, ns / 1e3));
    }
}
