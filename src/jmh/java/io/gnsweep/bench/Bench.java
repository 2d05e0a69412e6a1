package io.gnsweep.bench;

import io.gnsweep.runtime.NativeSetup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark suite, run by {@code jobs/bench.sh}: (1) the GroupNorm layer against DL4J's
 * BatchNormalization and the memory floor, (2) training throughput by norm kind against sgemm, with a
 * per-layer profile, (3) the Spark harness's overhead and two concurrent trials on two cores.
 *
 * <p>Every figure is a ratio of variants measured side by side in this run: the variants are interleaved
 * (round-robin, order rotated each round), each round measures every variant once, and the reported value is
 * the median over rounds. Absolute times are printed for context only; nothing asserts one.
 *
 * <p>{@code Bench [--quick] [--out DIR] [--parts layer,train,harness] [--threads N]}; the CSV goes to
 * {@code DIR/bench.csv}. With {@code --quick}, a ratio beyond its gross-regression limit exits with 1.
 * {@code Bench report [--quick] OUT.csv PART.csv ...} merges the parts' CSVs ({@link BenchReport}). Internal:
 * {@code Bench concurrency-child BIND TRAIN_LIMIT ROUNDS} (see {@link ConcurrencyPart#concurrencyChild}).
 *
 * <p>The parts: {@link LayerPart}, {@link TrainPart} (with {@link Profile}), {@link HarnessPart} (with
 * {@link ConcurrencyPart}); each adds its {@link Figure}s to the run's CSV.
 */
public final class Bench {
    private Bench() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("concurrency-child")) {
            ConcurrencyPart.concurrencyChild(args);
            return;
        }
        if (args.length > 0 && args[0].equals("report")) {
            System.exit(BenchReport.report(args));
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
        List<Figure> figures = new ArrayList<>();
        Part.Setting setting = new Part.Setting(quick, out, threads, System.err, figures);
        String csv = csvName != null ? csvName : quick ? "bench-quick.csv" : "bench.csv";
        long t0 = System.nanoTime();
        if (parts.contains("layer")) {
            new LayerPart(setting).run();
        }
        if (parts.contains("train")) {
            new TrainPart(setting).run();
        }
        if (parts.contains("harness")) {
            new HarnessPart(setting).run();
        }
        setting.log().printf(Locale.ROOT, "bench: %.0f s%n", (System.nanoTime() - t0) / 1e9);
        Figure.write(figures, out.resolve(csv));
        System.exit(0);
    }
}
