package io.gnsweep.bench;

import static io.gnsweep.bench.Rounds.medianRatio;

import io.gnsweep.optim.FusedAdam;
import io.gnsweep.optim.SgdMomentum;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * The optimisers' update on its own: gnsweep's fused passes against DL4J's / ND4J's ops on the parameter count of
 * vgg-cifar at width 0.25 (922,842; the network whose batch-2 step spent a quarter of its time in DL4J's Adam) and
 * of ResNet-20 at width 1 (272,474). Interleaved rounds, one JVM; the figure is the time ratio, fused / ND4J.
 */
final class UpdaterBench extends Part {
    private static final String PROPERTY = "gnsweep.layer.nativeKernels";

    UpdaterBench(Part.Setting setting) {
        super(setting);
    }

    void run() {
        int rounds = quick ? 5 : 15;
        for (int n : new int[] {922_842, 272_474}) {
            compare("adam", n, rounds, new Adam(1e-3, 0.9, 0.999, 1e-8), new FusedAdam(1e-3, 0.9, 0.999, 1e-8), true);
            SgdMomentum sgd = new SgdMomentum(0.1, null, 0.9, false);
            compare("sgd_momentum", n, rounds, sgd, sgd, false);
        }
        System.clearProperty(PROPERTY);
    }

    /** Times steps of a (kernels off when offA) against b (kernels on), interleaved, and adds the ratio b / a. */
    private void compare(String name, int n, int rounds, IUpdater a, IUpdater b, boolean aIsDl4j) {
        GradientUpdater<?> ua = a.instantiate(Nd4j.zeros(DataType.FLOAT, 1, a.stateSize(n)), true);
        GradientUpdater<?> ub = b.instantiate(Nd4j.zeros(DataType.FLOAT, 1, b.stateSize(n)), true);
        INDArray g = Nd4j.rand(DataType.FLOAT, 1, n);
        INDArray work = g.dup();
        int steps = 50;
        List<Double> ta = new ArrayList<>();
        List<Double> tb = new ArrayList<>();
        for (int r = -3; r < rounds; r++) { // 3 warm-up rounds
            System.setProperty(PROPERTY, "false");
            double sa = time(ua, g, work, steps);
            System.setProperty(PROPERTY, "true");
            double sb = time(ub, g, work, steps);
            if (r >= 0) {
                ta.add(sa);
                tb.add(sb);
            }
        }
        double ratio = medianRatio(tb, ta);
        double msA = Rounds.median(ta) * 1e3 / steps;
        double msB = Rounds.median(tb) * 1e3 / steps;
        add("train", name + "_update_fused_over_" + (aIsDl4j ? "dl4j" : "nd4j_ops"), n + " float params", ratio,
                "x (time)", "", null, "info", String.format(Locale.ROOT, "%.3f ms vs %.3f ms per update (each also copies the gradient in); %d rounds",
                        msB, msA, rounds));
        log.printf(Locale.ROOT, "updater: %s %d params: fused %.3f ms, ND4J %.3f ms per update (%.2fx)%n", name, n,
                msB, msA, ratio);
    }

    private static double time(GradientUpdater<?> u, INDArray g, INDArray work, int steps) {
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            work.assign(g);
            u.applyUpdater(work, i, 0);
        }
        return (System.nanoTime() - t0) / 1e9;
    }
}
