package io.gnsweep.bench;

import static io.gnsweep.bench.Rounds.median;
import static io.gnsweep.bench.Rounds.medianRatio;
import static io.gnsweep.bench.Rounds.rotate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Part 1: the GroupNorm layer (fused CPU kernels and its ND4J path) against DL4J's BatchNormalization and the
 * memory floor (System.arraycopy bandwidth), forward and backward, timed by JMH in this JVM.
 */
final class LayerPart extends Part {
    LayerPart(Part.Setting setting) {
        super(setting);
    }

    void run() throws RunnerException {
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
}
