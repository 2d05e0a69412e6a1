package io.gnsweep.bench;

import static io.gnsweep.bench.Rounds.median;
import static io.gnsweep.bench.Rounds.medianRatio;
import static io.gnsweep.bench.Rounds.rotate;

import io.gnsweep.layer.Conv2D;
import io.gnsweep.layer.Conv2DLayer;
import io.gnsweep.layer.GroupNormalization;
import io.gnsweep.model.Model;
import io.gnsweep.model.Net;
import io.gnsweep.model.NetworkFactory.NetworkSpec;
import io.gnsweep.model.NetworkFactory;
import io.gnsweep.model.NormKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Part 2: training throughput by norm kind (group, batch, none; the full run also group on the ND4J path) against
 * sgemm on the same threads, and, in the full run, a per-layer profile of fit() ({@link Profile}).
 */
final class TrainPart extends Part {
    TrainPart(Part.Setting setting) {
        super(setting);
    }

    void run() {
        // sgemm ceiling, same threads, measured once per round of the training part
        INDArray a = Nd4j.rand(DataType.FLOAT, 2048, 2048);
        INDArray bm = Nd4j.rand(DataType.FLOAT, 2048, 2048);
        INDArray c = Nd4j.create(DataType.FLOAT, 2048, 2048);
        DoubleSupplier sgemm = () -> {
            long t = System.nanoTime();
            Nd4j.gemm(a, bm, c, false, false, 1.0, 0.0);
            return 2.0 * 2048 * 2048 * 2048 / ((System.nanoTime() - t) / 1e9) / 1e9;
        };
        sgemm.getAsDouble();
        List<Double> gemm = new ArrayList<>();

        record Cfg(Model model, double width, int batch) {}
        List<Cfg> cfgs = new ArrayList<>();
        if (quick) {
            cfgs.add(new Cfg(Model.SMALL_CNN, 1.0, 32));
        } else {
            for (Model m : List.of(Model.SMALL_CNN, Model.VGG_CIFAR)) {
                for (int bs : List.of(4, 32, 128)) {
                    cfgs.add(new Cfg(m, m == Model.VGG_CIFAR ? 0.25 : 1.0, bs));
                }
            }
            // ResNet-20 (a ComputationGraph) at the paper's small and usual batch sizes
            for (int bs : List.of(2, 8, 32)) {
                cfgs.add(new Cfg(Model.RESNET, 1.0, bs));
            }
        }
        List<NormKind> norms = List.of(NormKind.GROUP, NormKind.BATCH, NormKind.NONE);
        // "group-nd4j": the GroupNorm network again with gnsweep's fused CPU kernels off (GroupNorm on its ND4J
        // path, ReLU on DL4J's code), beside them
        List<String> variants = new ArrayList<>(norms.stream().map(NormKind::id).toList());
        // "group-dl4jconv": the GroupNorm network with its convolutions on DL4J's own code instead of gnsweep's
        // oneDNN plans (where those are built)
        if (!quick) {
            variants.add(GROUP_ND4J);
            if (Conv2DLayer.dnnlAvailable()) {
                variants.add(GROUP_DL4J_CONV);
            }
        }
        // Longer runs of chosen configurations, for figures that move from run to run on a noisy machine, e.g.
        // BENCH_TRAIN_CONFIGS="vgg-cifar w0.25 bs4" BENCH_TRAIN_ROUNDS=15 BENCH_TRAIN_SECONDS=2 jobs/bench.sh --parts train
        List<String> only = new ArrayList<>();
        for (String want : System.getenv().getOrDefault("BENCH_TRAIN_CONFIGS", "").split(",")) {
            if (!want.isBlank()) {
                only.add(want.trim());
            }
        }
        int rounds = envInt("BENCH_TRAIN_ROUNDS", quick ? 2 : 5);
        double warmSeconds = quick ? 1.0 : 1.5;
        double warmCapSeconds = 5.0;
        double measureSeconds = envInt("BENCH_TRAIN_SECONDS", 0) > 0 ? envInt("BENCH_TRAIN_SECONDS", 0) : quick ? 0.4 : 0.6;
        List<String> names = cfgs.stream().map(k -> String.format(Locale.ROOT, "%s w%s bs%d", k.model().id(),
                trim(k.width()), k.batch())).toList();
        for (String want : only) {
            if (!names.contains(want)) {
                System.err.println("bench: BENCH_TRAIN_CONFIGS names '" + want + "', not one of this run's configurations "
                        + names);
                System.exit(2);
            }
        }
        for (Cfg cfg : cfgs) {
            int ch = cfg.model() == Model.SMALL_CNN ? 1 : 3;
            int size = cfg.model().inputSize();
            double flopsPerImage = 3 * ConvFlops.convFlops(cfg.model(), cfg.width(), ch, size);
            String name = names.get(cfgs.indexOf(cfg));
            if (!only.isEmpty() && !only.contains(name)) {
                continue;
            }
            Nd4j.getRandom().setSeed(7);
            INDArray x = Nd4j.randn(DataType.FLOAT, cfg.batch(), ch, size, size);
            INDArray y = oneHot(cfg.batch(), 10);
            Map<String, Net> nets = new LinkedHashMap<>();
            Map<String, Integer> warm = new LinkedHashMap<>();
            for (String n : variants) {
                Net net = NetworkFactory.create(new NetworkSpec(cfg.model(), normOf(n), 8, cfg.width(), ch,
                        size, size, 10, 1e-3, 1));
                usePath(n);
                // warm-up (FACTS: the first ~100 iterations are slower): the full run takes 100 iterations and
                // warmSeconds, whichever is longer, but stops at warmCapSeconds (at batch 128 the cap comes first,
                // after ~10-20 iterations); the quick run 100 or warmSeconds, whichever is shorter. With the quick
                // rule a batch-4 VGG warmed up for ~30 iterations, and its GroupNorm layers' Java code was still
                // being compiled while the rounds were timed.
                int it = 0;
                long t0 = System.nanoTime();
                while (quick ? it < 100 && (it < 5 || (System.nanoTime() - t0) / 1e9 < warmSeconds)
                        : (it < 100 || (System.nanoTime() - t0) / 1e9 < warmSeconds)
                                && (System.nanoTime() - t0) / 1e9 < warmCapSeconds) {
                    net.fit(x, y);
                    it++;
                }
                nets.put(n, net);
                warm.put(n, it);
            }
            Map<String, List<Double>> ips = new LinkedHashMap<>();
            for (int r = 0; r < rounds; r++) {
                gemm.add(sgemm.getAsDouble());
                for (String n : rotate(variants, r)) {
                    Net net = nets.get(n);
                    usePath(n);
                    int it = 0;
                    long t0 = System.nanoTime();
                    while (it < 2 || (System.nanoTime() - t0) / 1e9 < measureSeconds) {
                        net.fit(x, y);
                        it++;
                    }
                    double v = (double) it * cfg.batch() / ((System.nanoTime() - t0) / 1e9);
                    ips.computeIfAbsent(n, k -> new ArrayList<>()).add(v);
                }
            }
            String group = NormKind.GROUP.id();
            String batch = NormKind.BATCH.id();
            String none = NormKind.NONE.id();
            log.printf(Locale.ROOT, "train: %-22s group %6.1f  batch %6.1f  none %6.1f%s%s images/s (warm-up its %s)%n",
                    name, median(ips.get(group)), median(ips.get(batch)), median(ips.get(none)),
                    ips.containsKey(GROUP_ND4J) ? String.format(Locale.ROOT, "  group-nd4j %6.1f", median(ips.get(GROUP_ND4J))) : "",
                    ips.containsKey(GROUP_DL4J_CONV) ? String.format(Locale.ROOT, "  group-dl4jconv %6.1f",
                            median(ips.get(GROUP_DL4J_CONV))) : "",
                    warm.values());
            double ratio = medianRatio(ips.get(group), ips.get(batch));
            add("train", "group_over_batch", name, ratio, "x (images/s)", ">= 0.9", ">= 0.33",
                    status(ratio >= 0.9, ratio >= 0.33), String.format(Locale.ROOT, "group %.0f, batch %.0f images/s",
                            median(ips.get(group)), median(ips.get(batch))));
            add("train", "none_over_batch", name, medianRatio(ips.get(none), ips.get(batch)),
                    "x (images/s)", "", null, "info", String.format(Locale.ROOT, "none %.0f images/s",
                            median(ips.get(none))));
            if (ips.containsKey(GROUP_ND4J)) {
                add("train", "group_over_group_nd4j_path", name, medianRatio(ips.get(group), ips.get(GROUP_ND4J)),
                        "x (images/s)", "", null, "info", String.format(Locale.ROOT,
                                "fused CPU kernels (GroupNorm, ReLU) vs ND4J/DL4J code: %.0f vs %.0f images/s",
                                median(ips.get(group)), median(ips.get(GROUP_ND4J))));
            }
            if (ips.containsKey(GROUP_DL4J_CONV)) {
                add("train", "group_over_group_dl4j_conv", name, medianRatio(ips.get(group), ips.get(GROUP_DL4J_CONV)),
                        "x (images/s)", "", null, "info", String.format(Locale.ROOT,
                                "convolutions on oneDNN plans vs DL4J's convolution: %.0f vs %.0f images/s",
                                median(ips.get(group)), median(ips.get(GROUP_DL4J_CONV))));
            }
            for (NormKind n : norms) {
                double gflops = median(ips.get(n.id())) * flopsPerImage / 1e9;
                add("train", "gflops_" + n.id(), name, gflops, "GFLOP/s", "", null, "info",
                        String.format(Locale.ROOT, "%.1f MFLOP/image (conv, x3); %.1f%% of sgemm", flopsPerImage / 1e6,
                                100 * gflops / median(gemm)));
            }
            nets.values().forEach(n -> n.dl4j().close());
        }
        System.clearProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY);
        System.clearProperty(Conv2D.DNNL_PROPERTY);
        add("train", "sgemm_gflops", "2048^3 float, Nd4j.gemm", median(gemm), "GFLOP/s", "", null, "info",
                threads + " native thread(s); median of " + gemm.size() + ", interleaved with the training rounds");
        new UpdaterBench(setting()).run();
        if (!quick && only.isEmpty()) {
            new Profile(setting()).run(Model.SMALL_CNN, 1.0, 32, NormKind.GROUP);
            new Profile(setting()).run(Model.SMALL_CNN, 1.0, 32, NormKind.BATCH);
        }
    }

    /** The training variant that runs GroupNorm networks on the layer's ND4J path instead of its fused kernels. */
    private static final String GROUP_ND4J = NormKind.GROUP.id() + LayerBench.ND4J_PATH;

    /** The training variant that runs GroupNorm networks with DL4J's convolution instead of gnsweep's oneDNN plans. */
    private static final String GROUP_DL4J_CONV = NormKind.GROUP.id() + "-dl4jconv";

    private static NormKind normOf(String variant) {
        return variant.equals(GROUP_ND4J) || variant.equals(GROUP_DL4J_CONV) ? NormKind.GROUP : NormKind.parse(variant);
    }

    /** Points GroupNorm layers at their ND4J path for the {@link #GROUP_ND4J} variant, at the fused kernels otherwise. */
    private static void usePath(String variant) {
        System.setProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY, Boolean.toString(!variant.equals(GROUP_ND4J)));
        System.setProperty(Conv2D.DNNL_PROPERTY, Boolean.toString(!variant.equals(GROUP_DL4J_CONV)));
    }

    /** A positive whole number from the environment, or the default; anything else is refused (exit 2). */
    private static int envInt(String name, int dflt) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        if (!v.matches("[1-9][0-9]{0,5}")) {
            System.err.println("bench: " + name + " must be a positive whole number, got '" + v + "'");
            System.exit(2);
        }
        return Integer.parseInt(v);
    }

    static INDArray oneHot(int n, int classes) {
        INDArray y = Nd4j.create(DataType.FLOAT, n, classes);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % classes, 1f);
        }
        return y;
    }

    static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
