package io.gnsweep.bench;

import io.gnsweep.data.DatasetLoader;
import io.gnsweep.data.LocalDataFolder;
import io.gnsweep.data.TrainTest;
import io.gnsweep.layer.GroupNormalization;
import io.gnsweep.model.Model;
import io.gnsweep.model.Net;
import io.gnsweep.model.NetworkFactory;
import io.gnsweep.model.NetworkFactory.NetworkSpec;
import io.gnsweep.model.NormKind;
import io.gnsweep.runtime.NativeSetup;
import io.gnsweep.spark.SweepJob;
import io.gnsweep.sweep.SweepSpec;
import io.gnsweep.train.TrialResult;
import io.gnsweep.train.TrialSpec;
import io.gnsweep.train.TrialStatus;
import io.gnsweep.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The benchmark suite of issue 6, run by {@code jobs/bench.sh}: (1) the GroupNorm layer against DL4J's
 * BatchNormalization and the memory floor, (2) training throughput by norm kind against sgemm, with a
 * per-layer profile, (3) the Spark harness's overhead and two concurrent trials on two cores.
 *
 * <p>Every figure is a ratio of variants measured side by side in this run: the variants are interleaved
 * (round-robin, order rotated each round), each round measures every variant once, and the reported value is
 * the median over rounds. Absolute times are printed for context only; nothing asserts one.
 *
 * <p>{@code Bench [--quick] [--out DIR] [--parts layer,train,harness] [--threads N]}; the CSV goes to
 * {@code DIR/bench.csv}. With {@code --quick}, a ratio beyond its gross-regression limit exits with 1.
 * Internal: {@code Bench concurrency-child BIND TRAIN_LIMIT ROUNDS} (see {@link #concurrencyChild}).
 */
public final class Bench {
    static final Path FASHION = Path.of(System.getProperty("bench.fashion", "/usr/share/datasets/fashion-mnist"));

    private final boolean quick;
    private final Path out;
    private final int threads;
    private final PrintStream log = System.err;
    private final List<Row> rows = new ArrayList<>();

    /** One figure: {@code check} is the limit a --quick run enforces ({@code null}: informational). */
    record Row(String part, String metric, String config, double value, String unit, String target, String check,
               String status, String note) {}

    private Bench(boolean quick, Path out, int threads) {
        this.quick = quick;
        this.out = out;
        this.threads = threads;
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("concurrency-child")) {
            concurrencyChild(args);
            return;
        }
        if (args.length > 0 && args[0].equals("report")) {
            System.exit(report(args));
        }
        boolean quick = false;
        Path out = Path.of("target/bench");
        int threads = 1;
        List<String> parts = List.of("layer", "train", "harness");
        String csvName = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--parts" -> parts = List.of(args[++i].split(","));
                case "--csv" -> csvName = args[++i];
                default -> {
                    System.err.println("usage: Bench [--quick] [--out DIR] [--parts layer,train,harness] [--threads N]");
                    System.exit(2);
                }
            }
        }
        Files.createDirectories(out);
        NativeSetup.init();
        NativeSetup.bindThreads(threads);
        Bench b = new Bench(quick, out, threads);
        String csv = csvName != null ? csvName : quick ? "bench-quick.csv" : "bench.csv";
        long t0 = System.nanoTime();
        if (parts.contains("layer")) {
            b.layer();
        }
        if (parts.contains("train")) {
            b.train();
        }
        if (parts.contains("harness")) {
            b.harness();
        }
        b.log.printf(Locale.ROOT, "bench: %.0f s%n", (System.nanoTime() - t0) / 1e9);
        b.writeCsv(out.resolve(csv));
        System.exit(0);
    }

    // ---------------------------------------------------------------- 1. layer

    private void layer() throws RunnerException {
        List<String> shapes = quick ? List.of("8x256x8x8", "32x64x32x32") : List.of("32x64x32x32", "8x256x8x8", "64x32x28x28");
        // g8-nd4j: the layer's ND4J path (CUDA's, and the CPU fallback), beside its fused CPU kernels
        List<String> variants = quick ? List.of("bn", "g8", "g8-nd4j") : List.of("bn", "g1", "g8", "g32", "gC", "g8-nd4j");
        int rounds = quick ? 2 : 5;
        // helper check, once per shape: DL4J's BatchNormalization must run through oneDNN for a fair comparison
        for (String shape : shapes) {
            Object helper = LayerBench.helperOf(LayerBench.oneLayer("bn", LayerBench.parseShape(shape)).getLayer(0));
            String h = helper == null ? "NONE (built-in path!)" : helper.getClass().getSimpleName();
            log.println("layer: BatchNormalization helper for " + shape + ": " + h);
            add("layer", "bn_helper", shape, helper == null ? 0 : 1, "bool", "1 (oneDNN)", null,
                    helper == null ? "MISS" : "ok", h);
        }
        Map<String, List<Double>> ms = new LinkedHashMap<>();
        List<Double> copyMs = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            copyMs.add(jmh("CopyBench.arraycopy", Map.of("megabytes", "256")));
            for (String shape : shapes) {
                List<String> order = rotate(variants, r);
                for (String v : order) {
                    double t = jmh("LayerBench.fwdBwd", Map.of("shape", shape, "variant", v, "threads", "" + threads));
                    ms.computeIfAbsent(shape + "|" + v, k -> new ArrayList<>()).add(t);
                    log.printf(Locale.ROOT, "layer: round %d %-12s %-4s %8.3f ms%n", r + 1, shape, v, t);
                }
            }
        }
        double copy = median(copyMs);
        double bandwidth = CopyBench.bytesMoved(256) / (copy / 1e3); // bytes/s, read + write
        add("layer", "copy_bandwidth", "System.arraycopy 256MB float[]", bandwidth / 1e9, "GB/s (read+write)", "",
                null, "info", "1 thread; bandwidth = 2 x 256 MB / time; median of " + rounds);
        for (String shape : shapes) {
            long[] s = LayerBench.parseShape(shape);
            double elements = (double) s[0] * s[1] * s[2] * s[3];
            double floorMs = 5 * 4 * elements / bandwidth * 1e3; // fwd: x, y; bwd: x, dy, dx
            double bn = median(ms.get(shape + "|bn"));
            add("layer", "bn_ms", shape, bn, "ms", "", null, "info", "fwd+bwd, context only");
            add("layer", "floor_ms", shape, floorMs, "ms", "", null, "info", "5 passes x 4 B/elem / copy bandwidth");
            add("layer", "bn_over_floor", shape, bn / floorMs, "x", "", null, "info", "");
            for (String v : variants) {
                if (v.equals("bn")) {
                    continue;
                }
                double gn = median(ms.get(shape + "|" + v));
                double ratio = medianRatio(ms.get(shape + "|" + v), ms.get(shape + "|bn"));
                if (v.endsWith(LayerBench.ND4J_PATH)) {
                    String fused = v.replace(LayerBench.ND4J_PATH, "");
                    String g = "G=" + fused.substring(1);
                    add("layer", "gn_nd4j_path_over_bn", shape + " " + g, ratio, "x", "", "<= 3.0",
                            status(true, ratio <= 3.0), String.format(Locale.ROOT, "ND4J path %.2f ms, BN %.2f ms", gn, bn));
                    double speedup = medianRatio(ms.get(shape + "|" + v), ms.get(shape + "|" + fused));
                    add("layer", "gn_nd4j_path_over_fused", shape + " " + g, speedup, "x", "", null, "info",
                            String.format(Locale.ROOT, "fused kernels %.2f ms; ND4J path / floor %.1fx", median(ms.get(shape + "|" + fused)),
                                    gn / floorMs));
                    continue;
                }
                String g = v.equals("gC") ? "G=C=" + s[1] : "G=" + v.substring(1);
                add("layer", "gn_over_bn", shape + " " + g, ratio, "x", "<= 1.0", "<= 3.0",
                        status(ratio <= 1.0, ratio <= 3.0), String.format(Locale.ROOT, "GN %.2f ms, BN %.2f ms", gn, bn));
                double overFloor = gn / floorMs;
                add("layer", "gn_over_floor", shape + " " + g, overFloor, "x", "<= 3.0", null,
                        overFloor <= 3.0 ? "ok" : "MISS", String.format(Locale.ROOT, "floor %.2f ms", floorMs));
            }
        }
    }

    /** Runs one JMH benchmark in this JVM (forks 0: the variants interleave in one process) and returns ms/op. */
    private double jmh(String benchmark, Map<String, String> params) throws RunnerException {
        OptionsBuilder o = new OptionsBuilder();
        o.include("io\\.gnsweep\\.bench\\." + benchmark.replace(".", "\\.") + "$")
                .forks(0)
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(200))
                .measurementIterations(2).measurementTime(TimeValue.milliseconds(300))
                .shouldDoGC(false)
                .verbosity(VerboseMode.SILENT);
        params.forEach((k, v) -> o.param(k, v));
        Options opts = o.build();
        RunResult r = new Runner(opts).runSingle();
        return r.getPrimaryResult().getScore();
    }

    // ---------------------------------------------------------------- 2. training

    private void train() {
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
        if (!quick) {
            variants.add(GROUP_ND4J);
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
            double flopsPerImage = 3 * convFlops(cfg.model(), cfg.width(), ch, size);
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
            log.printf(Locale.ROOT, "train: %-22s group %6.1f  batch %6.1f  none %6.1f%s images/s (warm-up its %s)%n",
                    name, median(ips.get(group)), median(ips.get(batch)), median(ips.get(none)),
                    ips.containsKey(GROUP_ND4J) ? String.format(Locale.ROOT, "  group-nd4j %6.1f", median(ips.get(GROUP_ND4J))) : "",
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
            for (NormKind n : norms) {
                double gflops = median(ips.get(n.id())) * flopsPerImage / 1e9;
                add("train", "gflops_" + n.id(), name, gflops, "GFLOP/s", "", null, "info",
                        String.format(Locale.ROOT, "%.1f MFLOP/image (conv, x3); %.1f%% of sgemm", flopsPerImage / 1e6,
                                100 * gflops / median(gemm)));
            }
            nets.values().forEach(n -> n.dl4j().close());
        }
        System.clearProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY);
        add("train", "sgemm_gflops", "2048^3 float, Nd4j.gemm", median(gemm), "GFLOP/s", "", null, "info",
                threads + " native thread(s); median of " + gemm.size() + ", interleaved with the training rounds");
        if (!quick && only.isEmpty()) {
            profile(Model.SMALL_CNN, 1.0, 32, NormKind.GROUP);
            profile(Model.SMALL_CNN, 1.0, 32, NormKind.BATCH);
        }
    }

    /** The training variant that runs GroupNorm networks on the layer's ND4J path instead of its fused kernels. */
    private static final String GROUP_ND4J = NormKind.GROUP.id() + LayerBench.ND4J_PATH;

    private static NormKind normOf(String variant) {
        return variant.equals(GROUP_ND4J) ? NormKind.GROUP : NormKind.parse(variant);
    }

    /** Points GroupNorm layers at their ND4J path for the {@link #GROUP_ND4J} variant, at the fused kernels otherwise. */
    private static void usePath(String variant) {
        System.setProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY, Boolean.toString(!variant.equals(GROUP_ND4J)));
    }

    /** Times each layer's activate(true) and backpropGradient separately, against whole fit() calls. */
    private void profile(Model model, double width, int batch, NormKind norm) {
        int ch = model == Model.SMALL_CNN ? 1 : 3;
        int size = model.inputSize();
        String cfg = String.format(Locale.ROOT, "%s w%s bs%d %s", model.id(), trim(width), batch, norm.id());
        MultiLayerNetwork net = NetworkFactory.build(new NetworkSpec(model, norm, 8, width, ch, size, size, 10, 1e-3, 1));
        INDArray x = Nd4j.randn(DataType.FLOAT, batch, ch, size, size);
        INDArray y = oneHot(batch, 10);
        for (int i = 0; i < 30; i++) {
            net.fit(x, y);
        }
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        int n = net.getnLayers();
        List<INDArray> acts = net.feedForward(x, true).stream().map(INDArray::dup).collect(Collectors.toList());
        INDArray[] inputs = new INDArray[n];
        INDArray[] eps = new INDArray[n];
        for (int i = 0; i < n; i++) {
            INDArray in = acts.get(i);
            InputPreProcessor pp = net.getLayerWiseConfigurations().getInputPreProcess(i);
            inputs[i] = pp == null ? in : pp.preProcess(in, batch, mgr).dup();
            eps[i] = Nd4j.randn(DataType.FLOAT, acts.get(i + 1).shape()).muli(1e-3);
        }
        // Each layer in a reused workspace, as fit() runs it: fresh off-heap memory every call would be timed too.
        LayerWorkspaceMgr layerMgr = LayerBench.reusedWorkspace("PROFILE");
        int reps = 10;
        double[][] fwd = new double[n][reps];
        double[][] bwd = new double[n][reps];
        double[] fit = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t = System.nanoTime();
            net.fit(x, y);
            fit[r] = (System.nanoTime() - t) / 1e6;
            for (int i = 0; i < n; i++) {
                Layer l = net.getLayer(i);
                try (MemoryWorkspace ws = layerMgr.notifyScopeEntered(ArrayType.ACTIVATIONS)) {
                    t = System.nanoTime();
                    l.setInput(inputs[i], layerMgr);
                    l.activate(true, layerMgr);
                    fwd[i][r] = (System.nanoTime() - t) / 1e6;
                    t = System.nanoTime();
                    if (l instanceof IOutputLayer o) {
                        o.setLabels(y);
                        l.backpropGradient(null, layerMgr);
                    } else {
                        l.backpropGradient(eps[i], layerMgr);
                    }
                    bwd[i][r] = (System.nanoTime() - t) / 1e6;
                }
            }
        }
        double fitMs = median(fit);
        Map<String, double[]> byKind = new LinkedHashMap<>();
        StringBuilder table = new StringBuilder();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            Layer l = net.getLayer(i);
            double f = median(fwd[i]);
            double b = median(bwd[i]);
            sum += f + b;
            String kind = kindOf(l);
            byKind.computeIfAbsent(kind, k -> new double[2]);
            byKind.get(kind)[0] += f;
            byKind.get(kind)[1] += b;
            table.append(String.format(Locale.ROOT, "  %-14s %-12s fwd %7.2f ms  bwd %7.2f ms  %s%n",
                    l.conf().getLayer().getLayerName(), kind, f, b, LayerBench.helperOf(l) == null ? "" : "(helper)"));
        }
        byKind.put("other (updater, loss, net overhead)", new double[] {Math.max(0, fitMs - sum), 0});
        log.printf(Locale.ROOT, "profile: %s, fit %.2f ms (median of %d), per layer:%n%s", cfg, fitMs, reps, table);
        for (Map.Entry<String, double[]> e : byKind.entrySet()) {
            double ms = e.getValue()[0] + e.getValue()[1];
            add("profile", "share_of_fit", cfg + ": " + e.getKey(), 100 * ms / fitMs, "%", "", null, "info",
                    String.format(Locale.ROOT, "fwd %.2f + bwd %.2f ms of fit %.2f ms", e.getValue()[0], e.getValue()[1],
                            fitMs));
        }
        net.close();
    }

    private static String kindOf(Layer l) {
        String c = l.getClass().getSimpleName();
        if (c.contains("Convolution")) {
            return "conv";
        }
        if (c.contains("GroupNorm") || c.contains("BatchNormalization")) {
            return "norm";
        }
        if (c.contains("Activation") || c.equals("ReluLayer")) {
            return "relu";
        }
        if (c.contains("Subsampling")) {
            return "pool";
        }
        if (c.contains("Output")) {
            return "output";
        }
        return c;
    }

    /** Forward conv FLOPs per image: 2*K*K*Cin*Cout*H*W for each 3x3 'same' conv; 2x2 pools halve H, W. */
    static double convFlops(Model m, double width, int channels, int size) {
        if (m.isResidual()) {
            return resnetConvFlops(Model.DEFAULT_DEPTH, width, channels, size);
        }
        double flops = 0;
        int cin = channels;
        int h = size;
        for (int[] block : m.blocks(width)) {
            for (int cout : block) {
                flops += 2.0 * 9 * cin * cout * h * h;
                cin = cout;
            }
            h /= 2;
        }
        return flops;
    }

    /** Forward multiply-adds x2 of a CIFAR ResNet's convolutions (3x3 stem, blocks, 1x1 projections). */
    static double resnetConvFlops(int depth, double width, int channels, int size) {
        int n = io.gnsweep.model.ResNet.blocksPerStage(depth);
        int cin = io.gnsweep.model.ResNet.stageChannels(1, width);
        double flops = 2.0 * 9 * channels * cin * size * size;
        int h = size;
        for (int s = 1; s <= 3; s++) {
            int c = io.gnsweep.model.ResNet.stageChannels(s, width);
            for (int b = 1; b <= n; b++) {
                boolean down = s > 1 && b == 1;
                int ho = down ? h / 2 : h;
                flops += 2.0 * 9 * cin * c * ho * ho + 2.0 * 9 * c * c * ho * ho;
                if (down || cin != c) {
                    flops += 2.0 * cin * c * ho * ho;
                }
                cin = c;
                h = ho;
            }
        }
        return flops;
    }

    // ---------------------------------------------------------------- 3. harness

    private void harness() throws Exception {
        if (!Files.isDirectory(FASHION)) {
            add("harness", "skipped", FASHION.toString(), Double.NaN, "", "", null, "info", "no Fashion-MNIST");
            return;
        }
        // Full run: trials of ~10-15 s each here (the quick spec's take 20-90 s, a study's minutes), so that the
        // figure is about a sweep, not about Spark's start-up alone; the fixed costs are reported beside it.
        int trainLimit = Integer.getInteger("bench.harness.trainLimit", quick ? 1024 : 10240);
        List<String> overrides = List.of("name=bench", "model=small-cnn", "model-width=0.25",
                "dataset.path=" + FASHION, "dataset.train-limit=" + trainLimit, "dataset.test-limit=1000",
                "axes.norm=[batch,group]", "axes.batch-size=[16,32]", "axes.groups=[8]", "axes.seed=[1]",
                "train.lr=0.002", "train.epochs=1");
        SweepSpec spec = SweepSpec.load(null, overrides);
        String trials = spec.trials().size() + " trials small-cnn w0.25, " + trainLimit + " images, 1 epoch";
        // warm-up (JIT, oneDNN primitives) so that neither variant pays it alone
        if (!quick) { // --quick: its untimed tiny Spark sweep below warms the same code
            TrainTest warmData = DatasetLoader.load("fashion-mnist", new LocalDataFolder(FASHION), 512, 250);
            for (TrialSpec t : spec.trials()) {
                Trainer.run(t, warmData, "cpu", m -> {});
            }
        }
        // Spark's first session in a JVM loads and JITs Spark itself (what every jobs/sweep.sh run pays); a
        // second one in the same JVM shows the per-job cost alone. --quick measures only the warm one (the cold
        // start is Spark's, not gnsweep's, and would dominate a short CI run); the full run reports both.
        if (quick) {
            List<String> tiny = new ArrayList<>(overrides);
            tiny.addAll(List.of("dataset.train-limit=256", "dataset.test-limit=250", "axes.norm=[group]",
                    "axes.batch-size=[32]"));
            sparkSweep(tiny, 9);
        }
        double[] loopRun = plainLoop(spec, trainLimit);
        double loop = loopRun[0];
        log.printf(Locale.ROOT, "harness: plain loop %.1f s (%.1f s in Trainer.run)%n", loop, loopRun[1]);
        for (String kind : quick ? List.of("warm") : List.of("cold", "warm")) {
            int n = kind.equals("cold") ? 0 : 1;
            double spark = sparkSweep(overrides, n);
            double sparkTraining = trainerSeconds(out.resolve("spark-sweep-" + n).resolve("trials"));
            log.printf(Locale.ROOT, "harness: Spark local[1] (%s) %.1f s (%.1f s in Trainer.run)%n", kind, spark,
                    sparkTraining);
            // The trials themselves vary by ~10% from run to run on this shared machine, as much as the
            // overhead being measured: compare what each run spent outside Trainer.run (Spark's start-up and
            // scheduling, data loading, Parquet writes, the summary) on top of the plain loop's own.
            double overhead = 100 * ((spark - sparkTraining) - (loop - loopRun[1])) / spark;
            double raw = 100 * (spark - loop) / spark;
            add("harness", "spark_overhead_raw_" + kind, trials, raw, "% of Spark wall", "", null, "info",
                    "(Spark wall - loop wall) / Spark wall: includes the trials' own run-to-run variation");
            boolean gate = kind.equals("warm");
            add("harness", "spark_overhead_" + kind, trials, overhead, "% of Spark wall", "<= 5", gate ? "<= 50" : null,
                    gate ? status(overhead <= 5, overhead <= 50) : overhead <= 5 ? "ok" : "MISS",
                    String.format(Locale.ROOT, "time outside Trainer.run: Spark %.1f s of %.1f s, plain loop %.1f s of"
                            + " %.1f s (%s)", spark - sparkTraining, spark, loop - loopRun[1], loop,
                            kind.equals("cold") ? "first Spark session in the JVM, as jobs/sweep.sh"
                                    : "second session in the same JVM: per-job cost only"));
            double extra = (spark - sparkTraining) - (loop - loopRun[1]);
            add("harness", "spark_extra_s_" + kind, trials, extra, "s", "", null, "info",
                    "Spark's extra time outside the trials, mostly fixed per sweep run: the overhead of a sweep of T"
                            + " seconds of trials is about this / (T + this)");
        }
        if (!quick) {
            concurrency(Integer.getInteger("bench.concurrency.trainLimit", 3072));
        }
    }

    /**
     * The sweep's trials one after another on this thread: data load + Trainer.run each, as a task would.
     * {wall seconds, seconds inside Trainer.run}.
     */
    private double[] plainLoop(SweepSpec spec, int trainLimit) throws IOException {
        long t0 = System.nanoTime();
        NativeSetup.bindThreads(1);
        TrainTest data = DatasetLoader.load("fashion-mnist", new LocalDataFolder(FASHION), trainLimit, 1000);
        double training = 0;
        for (TrialSpec t : spec.trials()) {
            TrialResult r = Trainer.run(t, data, "cpu", m -> {});
            if (r.status() != TrialStatus.COMPLETE) {
                throw new IllegalStateException("plain loop: trial " + t.trialId() + " " + r.status() + ": " + r.error());
            }
            training += java.time.Duration.between(r.startedAt(), r.finishedAt()).toNanos() / 1e9;
        }
        double s = (System.nanoTime() - t0) / 1e9;
        NativeSetup.bindThreads(threads);
        return new double[] {s, training};
    }

    /** Σ (finished_at − started_at) over the trial rows of a sweep's trials table: seconds inside Trainer.run. */
    private static double trainerSeconds(Path trialsDir) throws IOException {
        double total = 0;
        try (var files = Files.list(trialsDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList()) {
                try (org.apache.parquet.hadoop.ParquetReader<org.apache.parquet.example.data.Group> reader =
                             org.apache.parquet.hadoop.ParquetReader.builder(
                                     new org.apache.parquet.hadoop.example.GroupReadSupport(),
                                     new org.apache.hadoop.fs.Path(f.toUri())).build()) {
                    for (var g = reader.read(); g != null; g = reader.read()) {
                        total += (g.getLong("finished_at", 0) - g.getLong("started_at", 0)) / 1e6;
                    }
                }
            }
        }
        return total;
    }

    /** The same trials through SweepJob.run with --master local[1], into a fresh folder. */
    private double sparkSweep(List<String> overrides, int n) throws IOException {
        Path dir = out.resolve("spark-sweep-" + n);
        deleteTree(dir);
        List<String> args = new ArrayList<>(overrides);
        args.add("output=" + dir.toAbsolutePath());
        args.add("--master");
        args.add("local[1]");
        Path logFile = out.resolve("spark-sweep-" + n + ".log");
        long t0 = System.nanoTime();
        int exit;
        try (PrintStream o = new PrintStream(Files.newOutputStream(logFile), true, StandardCharsets.UTF_8)) {
            exit = SweepJob.run(args.toArray(String[]::new), o, o);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        String text = Files.readString(logFile);
        if (exit != 0 || text.contains("FAILED") && !text.contains("0 failed")) {
            log.println(text);
        }
        if (exit != 0) {
            throw new IllegalStateException("Spark sweep exited " + exit + " (see " + logFile + ")");
        }
        NativeSetup.bindThreads(threads);
        return s;
    }

    /** Two child JVMs: with thread control (OMP_NUM_THREADS=1 + bindThreads(1)) and without (ND4J's defaults). */
    private void concurrency(int trainLimit) throws Exception {
        int rounds = 2;
        double[] ceiling = ceiling();
        add("harness", "machine_two_thread_ceiling", "pure Java arithmetic / 1024^2 sgemm, 2 threads vs 1",
                ceiling[0], "x throughput", "", null, "info", String.format(Locale.ROOT,
                        "what this machine's two cores give work with no shared state: Java %.2fx, sgemm %.2fx "
                                + "(median of 3)", ceiling[0], ceiling[1]));
        double[] bound = child(true, trainLimit, rounds);
        double[] free = child(false, trainLimit, rounds);
        String cfg = "2 trials small-cnn w0.25 group-g8 bs32, " + trainLimit + " images";
        add("harness", "concurrent_over_serial_bound", cfg, bound[0] / bound[1], "x throughput", ">= 1.8", null,
                bound[0] / bound[1] >= 1.8 ? "ok" : "MISS", String.format(Locale.ROOT,
                        "bindThreads(1), OMP_NUM_THREADS=1: one at a time %.1f s, two at once %.1f s", bound[0], bound[1]));
        add("harness", "concurrent_over_serial_default", cfg, free[0] / free[1], "x throughput", "", null, "info",
                String.format(Locale.ROOT, "no thread control (ND4J default = all cores, own JVM): one at a time %.1f s,"
                        + " two at once %.1f s", free[0], free[1]));
        add("harness", "bound_pair_over_default_serial", cfg, free[0] / bound[1], "x throughput", "", null, "info",
                "two bound trials at once vs one default-threads trial at a time (across the two JVMs)");
    }

    /**
     * Throughput of two threads over one on work that shares nothing: {Java arithmetic, 1-thread sgemm}, median
     * of three. The ceiling for the concurrency figure on this machine (a VM's two vCPUs need not give 2x).
     */
    private static double[] ceiling() throws InterruptedException {
        Runnable java = () -> {
            double acc = 0;
            for (int i = 1; i < 60_000_000; i++) {
                acc += Math.sqrt(i) / i;
            }
            if (acc < 0) {
                throw new AssertionError();
            }
        };
        // one pair of operands per thread, allocated and touched before any timing (fresh memory faults here)
        INDArray[][] operands = new INDArray[2][];
        for (int i = 0; i < 2; i++) {
            operands[i] = new INDArray[] {Nd4j.rand(DataType.FLOAT, 1024, 1024), Nd4j.rand(DataType.FLOAT, 1024, 1024),
                    Nd4j.rand(DataType.FLOAT, 1024, 1024)};
        }
        Runnable[] gemms = new Runnable[2];
        for (int i = 0; i < 2; i++) {
            INDArray[] o = operands[i];
            gemms[i] = () -> {
                NativeSetup.bindThreads(1);
                for (int k = 0; k < 12; k++) {
                    Nd4j.gemm(o[0], o[1], o[2], false, false, 1.0, 0.0);
                }
            };
        }
        gemms[0].run();
        gemms[1].run();
        double[][] ratios = new double[2][3];
        Runnable[][] works = {{java, java}, gemms};
        for (int round = 0; round < 3; round++) {
            for (int w = 0; w < 2; w++) {
                long t0 = System.nanoTime();
                Thread t = new Thread(works[w][0]);
                t.start();
                t.join();
                double one = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                concurrent(works[w]);
                double two = (System.nanoTime() - t0) / 1e9;
                ratios[w][round] = 2 * one / two;
            }
        }
        return new double[] {median(ratios[0]), median(ratios[1])};
    }

    private double[] child(boolean bind, int trainLimit, int rounds) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx4g",
                "-Dlog4j2.configurationFile=" + System.getProperty("log4j2.configurationFile", "conf/log4j2.properties"),
                "-cp", System.getProperty("java.class.path"), Bench.class.getName(), "concurrency-child",
                String.valueOf(bind), String.valueOf(trainLimit), String.valueOf(rounds)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        if (bind) {
            pb.environment().put("OMP_NUM_THREADS", "1");
        } else {
            pb.environment().remove("OMP_NUM_THREADS");
        }
        Process p = pb.start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("concurrency child (bind=" + bind + ") failed: " + stdout);
        }
        String line = stdout.lines().filter(s -> s.startsWith("RESULT ")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no RESULT from child: " + stdout));
        String[] f = line.split(" ");
        return new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])};
    }

    /**
     * Child JVM: two trials (seeds 1, 2) one after the other, then both at once on two threads, alternating the
     * order each round; prints {@code RESULT serial_s concurrent_s} (medians). {@code BIND}: each training thread
     * calls NativeSetup.bindThreads(1); otherwise ND4J's defaults (all cores) are left alone.
     */
    static void concurrencyChild(String[] args) throws Exception {
        boolean bind = Boolean.parseBoolean(args[1]);
        int trainLimit = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        NativeSetup.init();
        TrainTest data = DatasetLoader.load("fashion-mnist", new LocalDataFolder(FASHION), trainLimit, 500);
        TrialSpec[] specs = new TrialSpec[2];
        for (int i = 0; i < 2; i++) {
            specs[i] = new TrialSpec("fashion-mnist", FASHION.toString(), trainLimit, 500, Model.SMALL_CNN, 0.25,
                    NormKind.GROUP, 8, 32, 0.002, 1, i + 1);
        }
        Runnable[] runs = new Runnable[2];
        for (int i = 0; i < 2; i++) {
            TrialSpec s = specs[i];
            runs[i] = () -> {
                if (bind) {
                    NativeSetup.bindThreads(1);
                }
                TrialResult r = Trainer.run(s, data, "cpu", m -> {});
                if (r.status() != TrialStatus.COMPLETE) {
                    throw new IllegalStateException(s.trialId() + ": " + r.status() + " " + r.error());
                }
            };
        }
        // warm-up: both trials once at once (JIT, oneDNN primitives of both threads)
        concurrent(runs);
        List<Double> serial = new ArrayList<>();
        List<Double> conc = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                boolean doSerial = (k == 0) == (r % 2 == 0);
                long t0 = System.nanoTime();
                if (doSerial) {
                    Thread t = new Thread(() -> {
                        runs[0].run();
                        runs[1].run();
                    });
                    t.start();
                    t.join();
                    serial.add((System.nanoTime() - t0) / 1e9);
                } else {
                    concurrent(runs);
                    conc.add((System.nanoTime() - t0) / 1e9);
                }
            }
            System.err.printf(Locale.ROOT, "concurrency (bind=%s): round %d serial %.1f s, concurrent %.1f s%n", bind,
                    r + 1, serial.get(r), conc.get(r));
        }
        System.out.printf(Locale.ROOT, "RESULT %.4f %.4f%n", median(serial), median(conc));
        System.exit(0);
    }

    private static void concurrent(Runnable[] runs) throws InterruptedException {
        Thread[] ts = new Thread[runs.length];
        Throwable[] error = new Throwable[1];
        for (int i = 0; i < runs.length; i++) {
            ts[i] = new Thread(runs[i]);
            ts[i].setUncaughtExceptionHandler((t, e) -> error[0] = e);
            ts[i].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        if (error[0] != null) {
            throw new IllegalStateException(error[0]);
        }
    }

    // ---------------------------------------------------------------- report

    private void add(String part, String metric, String config, double value, String unit, String target, String check,
                     String status, String note) {
        rows.add(new Row(part, metric, config, value, unit, target, check, status, note));
    }

    /** "ok" / "MISS" against the target; "FAIL" when even the gross-regression limit is broken. */
    private static String status(boolean target, boolean gross) {
        return !gross ? "FAIL" : target ? "ok" : "MISS";
    }

    static final String CSV_HEADER = "part,metric,config,value,unit,target,quick_limit,status,note";

    /** Writes this JVM's rows as CSV. */
    private void writeCsv(Path file) throws IOException {
        StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
        for (Row r : rows) {
            csv.append(String.join(",", csvField(r.part()), csvField(r.metric()), csvField(r.config()),
                    String.format(Locale.ROOT, "%.4f", r.value()), csvField(r.unit()), csvField(r.target()),
                    csvField(r.check() == null ? "" : r.check()), csvField(r.status()), csvField(r.note()))).append('\n');
        }
        Files.writeString(file, csv.toString());
    }

    /**
     * {@code report [--quick] OUT.csv PART.csv ...}: merges the parts' CSVs into OUT.csv, prints the table and
     * returns 1 when a --quick run has a gross regression (status FAIL), else 0.
     */
    static int report(String[] args) throws IOException {
        boolean quick = args[1].equals("--quick");
        int first = quick ? 2 : 1;
        Path outFile = Path.of(args[first]);
        List<List<String>> rows = new ArrayList<>();
        for (int i = first + 1; i < args.length; i++) {
            List<String> lines = Files.readAllLines(Path.of(args[i]));
            for (String line : lines.subList(1, lines.size())) {
                if (!line.isBlank()) {
                    rows.add(parseCsv(line));
                }
            }
        }
        StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
        PrintStream o = System.out;
        String f = "%-8s %-30s %-42s %9s %-18s %-7s %-6s %s%n";
        o.printf(f, "part", "metric", "config", "value", "unit", "target", "status", "note");
        int failures = 0;
        for (List<String> r : rows) {
            csv.append(r.stream().map(Bench::csvField).collect(Collectors.joining(","))).append('\n');
            double v = r.get(3).isEmpty() ? Double.NaN : Double.parseDouble(r.get(3));
            o.printf(Locale.ROOT, f, r.get(0), r.get(1), r.get(2), fmt(v), r.get(4), r.get(5), r.get(7), r.get(8));
            failures += "FAIL".equals(r.get(7)) ? 1 : 0;
        }
        Files.writeString(outFile, csv.toString());
        o.printf("%nwritten: %s%s%n", outFile, !quick ? "" : failures == 0 ? "; quick checks passed"
                : "; " + failures + " gross regression(s) (status FAIL)");
        return quick && failures > 0 ? 1 : 0;
    }

    private static List<String> parseCsv(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        fields.add(cur.toString());
        while (fields.size() < 9) {
            fields.add("");
        }
        return fields;
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    // ---------------------------------------------------------------- helpers

    static <T> List<T> rotate(List<T> list, int by) {
        List<T> r = new ArrayList<>(list);
        java.util.Collections.rotate(r, -by);
        return r;
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

    static double median(List<Double> xs) {
        return median(xs.stream().mapToDouble(Double::doubleValue).toArray());
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Median over rounds of the per-round ratio a[r] / b[r] (both measured in the same round). */
    static double medianRatio(List<Double> a, List<Double> b) {
        double[] r = new double[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i) / b.get(i);
        }
        return median(r);
    }

    static INDArray oneHot(int n, int classes) {
        INDArray y = Nd4j.create(DataType.FLOAT, n, classes);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % classes, 1f);
        }
        return y;
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
