package io.gnsweep.bench;

import static io.gnsweep.bench.Rounds.median;

import io.gnsweep.data.DatasetLoader;
import io.gnsweep.data.LocalDataFolder;
import io.gnsweep.data.TrainTest;
import io.gnsweep.model.Model;
import io.gnsweep.model.NormKind;
import io.gnsweep.runtime.NativeSetup;
import io.gnsweep.train.Trainer;
import io.gnsweep.train.TrialResult;
import io.gnsweep.train.TrialSpec;
import io.gnsweep.train.TrialStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Two trials at once on two cores against one after the other, in child JVMs with and without thread control,
 * beside this machine's own two-thread ceiling (part of the harness part).
 */
final class ConcurrencyPart extends Part {
    ConcurrencyPart(Part.Setting setting) {
        super(setting);
    }

    /** Two child JVMs: with thread control (OMP_NUM_THREADS=1 + bindThreads(1)) and without (ND4J's defaults). */
    void run(int trainLimit) throws Exception {
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
        TrainTest data = DatasetLoader.load("fashion-mnist", new LocalDataFolder(HarnessPart.FASHION), trainLimit, 500);
        TrialSpec[] specs = new TrialSpec[2];
        for (int i = 0; i < 2; i++) {
            specs[i] = new TrialSpec("fashion-mnist", HarnessPart.FASHION.toString(), trainLimit, 500, Model.SMALL_CNN, 0.25,
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
}
