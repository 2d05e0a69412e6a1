package io.gnsweep.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gnsweep.data.FashionMnistFolder;
import io.gnsweep.spark.SweepFixture;
import io.gnsweep.spark.SweepFixture.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep on a real Spark standalone cluster (jobs/cluster.sh: a master and 2 workers x 1 core, RPC
 * authentication on), the test JVM as driver and executor JVMs launched by the workers: it spreads over both
 * executors, and survives an executor killed mid-trial, a driver killed mid-sweep (the rerun runs only the
 * missing trials) and a whole worker killed mid-sweep (last, as it leaves one worker).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterSweepTest {
    /** A local folder on the driver, so the data reaches the executors by addFile. */
    static Path fashion;
    private static final Duration SWEEP_TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    static Path dir;
    static LocalCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        fashion = FashionMnistFolder.local(dir.resolve("fashion-mnist"));
        // each worker also offers one made-up GPU (worker 1: address 0, worker 2: address 1); only the GPU test
        // asks for them
        cluster = LocalCluster.start(dir.resolve("cluster"), 2, 1, Map.of("GNSWEEP_WORKER_GPUS", "1", "GNSWEEP_FAKE_GPUS", "1"));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A small real sweep: 8 trials (batch, group G=2) x (bs 16, 32) x (seed 1, 2) on 256 images. */
    static List<String> tiny(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("name=tiny", "output=" + out, "model-width=0.25",
                "dataset.path=" + fashion, "dataset.train-limit=256", "dataset.test-limit=128",
                "axes.norm=[batch,group]", "axes.batch-size=[16,32]", "axes.groups=[2]", "axes.seed=[1,2]",
                "train.lr=0.002", "--master", cluster.masterUrl()));
        args.addAll(List.of(more));
        return args;
    }

    /**
     * The driver's Spark conf for this cluster, as System properties (SweepJob builds {@code new SparkConf()}):
     * the RPC secret from cluster.sh's properties file, the executors' classpath (the application jar does not
     * exist during {@code mvn test}: executors get the test JVM's classpath), loopback addresses.
     */
    static Map<String, String> driverConf() {
        Map<String, String> m = new LinkedHashMap<>();
        var defaults = cluster.defaults();
        for (String k : List.of("spark.authenticate", "spark.authenticate.secret", "spark.cores.max")) {
            assertNotNull(defaults.getProperty(k), k + " missing from cluster.sh's spark-defaults.conf");
            m.put(k, defaults.getProperty(k));
        }
        m.put("spark.executor.extraClassPath", System.getProperty("java.class.path"));
        m.put("spark.executor.extraJavaOptions",
                "-Dlog4j2.configurationFile=" + Path.of("conf/log4j2.properties").toAbsolutePath().toUri());
        m.put("spark.executor.memory", "1g");
        m.put("spark.driver.host", "127.0.0.1");
        m.put("spark.driver.bindAddress", "127.0.0.1");
        m.put("spark.ui.enabled", "false");
        return m;
    }

    /** Runs the sweep command in this JVM as the cluster's driver. */
    static Run sweep(List<String> args) {
        Map<String, String> conf = driverConf();
        conf.forEach(System::setProperty);
        try {
            return SweepFixture.sweep(args);
        } finally {
            conf.keySet().forEach(System::clearProperty);
        }
    }

    /** Runs the sweep in a background thread, to inject a fault meanwhile. */
    static Future<Run> sweepInBackground(ExecutorService pool, List<String> args) {
        return pool.submit(() -> sweep(args));
    }

    static Run await(Future<Run> f) throws Exception {
        try {
            return f.get(SWEEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            f.cancel(true);
            fail("the sweep did not end within " + SWEEP_TIMEOUT + cluster.logs());
            return null;
        }
    }

    /** Polls every 100 ms until the condition holds or the run has ended or the time is up. */
    static boolean waitFor(BooleanSupplier condition, Future<?> run, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && (run == null || !run.isDone())) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return condition.getAsBoolean();
    }

    /** Rows of result tables, read back with Spark (local mode, one session for all). */
    static List<List<Row>> read(Path... tables) {
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            List<List<Row>> rows = new ArrayList<>();
            for (Path t : tables) {
                rows.add(spark.read().parquet(t.toString()).collectAsList());
            }
            return rows;
        } finally {
            spark.stop();
        }
    }

    /** trials/*.parquet file name -> modification time. */
    static Map<String, Long> trialFiles(Path out) {
        Path trials = out.resolve("trials");
        if (!Files.isDirectory(trials)) {
            return Map.of();
        }
        try (var s = Files.list(trials)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .collect(Collectors.toMap(p -> p.getFileName().toString(), p -> p.toFile().lastModified()));
        } catch (IOException e) {
            return Map.of();
        }
    }

    /**
     * Exactly one COMPLETE row per trial of the 8, one epochs row per trial and epoch, and one .parquet file per
     * trial in each table; anything else in the table folders is hidden (a "_" or "." name: what Spark, DuckDB
     * globs and pandas skip), e.g. the temporary file of a trial whose executor was killed.
     */
    static Map<String, Row> assertExactlyOnce(Path out, int epochs) throws IOException {
        List<List<Row>> tables = read(out.resolve("trials"), out.resolve("epochs"));
        Map<String, Row> trials = new TreeMap<>();
        for (Row r : tables.get(0)) {
            assertNull(trials.put(r.getAs("trial_id"), r), "two rows for trial " + r.getAs("trial_id"));
        }
        assertEquals(8, trials.size(), "trial rows: " + trials.keySet());
        for (Row r : trials.values()) {
            assertEquals("COMPLETE", r.getAs("status"), r.getAs("trial_id") + ": " + r.getAs("error"));
        }
        Map<String, Integer> perTrial = new HashMap<>();
        Set<String> seen = new TreeSet<>();
        for (Row r : tables.get(1)) {
            assertTrue(seen.add(r.getAs("trial_id") + "#" + r.getAs("epoch")), "two rows for " + r);
            perTrial.merge(r.getAs("trial_id"), 1, Integer::sum);
        }
        assertEquals(trials.keySet(), perTrial.keySet());
        perTrial.forEach((id, n) -> assertEquals(epochs, n, "epoch rows of " + id));
        for (String table : List.of("trials", "epochs")) {
            try (var s = Files.list(out.resolve(table))) {
                List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
                List<String> parquet = names.stream().filter(n -> n.endsWith(".parquet") && !n.startsWith("_")
                        && !n.startsWith(".")).toList();
                assertEquals(trials.keySet().stream().map(id -> id + ".parquet").sorted().toList(), parquet, table);
                for (String n : names) {
                    assertTrue(parquet.contains(n) || n.startsWith("_") || n.startsWith("."),
                            table + "/" + n + " would be read as part of the table");
                }
            }
        }
        return trials;
    }

    @Test
    @Order(1)
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void clusterScriptWritesAPrivateSecretAndTheSweepUsesBothWorkers() throws Exception {
        Path conf = cluster.state.resolve("spark-defaults.conf");
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(conf));
        assertEquals(cluster.masterUrl(), cluster.defaults().getProperty("spark.master"));
        assertEquals("true", cluster.defaults().getProperty("spark.authenticate"));
        assertTrue(cluster.defaults().getProperty("spark.authenticate.secret").length() >= 32);
        assertEquals(2L, cluster.masterStatus().get("aliveworkers"));
        String status = cluster.script(Duration.ofSeconds(30), "status");
        assertTrue(status.contains("worker-2: running") && status.contains(cluster.masterUrl()), status);

        Path out = dir.resolve("a");
        Run run = sweep(tiny(out));
        assertEquals(0, run.exit(), run.err() + cluster.logs());
        assertTrue(run.out().contains("8 of 8 trials to run (0 already finished), master " + cluster.masterUrl()),
                run.out());
        assertTrue(run.out().contains("[tiny] 8/8 trials done, 0 failed"), run.out());
        Map<String, Row> trials = assertExactlyOnce(out, 1);
        Set<String> executors = trials.values().stream().map(r -> (String) r.getAs("executor_id"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(executors.size() >= 2, "all trials ran on executor(s) " + executors);
        assertTrue(!executors.contains("driver"), "a trial ran on the driver: " + executors);
        for (Row r : trials.values()) {
            double acc = r.getAs("test_accuracy");
            assertTrue(acc > 0.2, "accuracy " + acc + " of " + r.getAs("trial_id"));
        }
    }

    private static final Pattern EPOCH_LINE = Pattern.compile("trial (\\S+) epoch (\\d+)/(\\d+)");

    /** The trial an executor is in the middle of: its last epoch line is not the trial's last epoch. */
    static String midTrial(LocalCluster.Executor e, Path out) {
        Matcher m = EPOCH_LINE.matcher(e.stderr());
        String trial = null;
        boolean unfinished = false;
        while (m.find()) {
            trial = m.group(1);
            unfinished = Integer.parseInt(m.group(2)) < Integer.parseInt(m.group(3));
        }
        return trial != null && unfinished && !Files.exists(out.resolve("trials").resolve(trial + ".parquet"))
                ? trial : null;
    }

    @Test
    @Order(2)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void anExecutorKilledMidTrialLeavesExactlyOneRowPerTrial() throws Exception {
        Path out = dir.resolve("b");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Run> run = sweepInBackground(pool, tiny(out, "train.epochs=3"));
            LocalCluster.Executor[] victim = new LocalCluster.Executor[1];
            String[] trial = new String[1];
            boolean found = waitFor(() -> {
                for (LocalCluster.Executor e : cluster.executors()) {
                    String t = midTrial(e, out);
                    if (t != null) {
                        victim[0] = e;
                        trial[0] = t;
                        return true;
                    }
                }
                return false;
            }, run, SWEEP_TIMEOUT);
            assertTrue(found, "no executor was seen between two epochs of a trial" + cluster.logs());
            LocalCluster.kill9(victim[0].pid());
            assertTrue(ProcessHandle.of(victim[0].pid()).isEmpty()
                    || !ProcessHandle.of(victim[0].pid()).get().isAlive(), "executor still alive");
            System.out.println("killed executor " + victim[0] + " during trial " + trial[0]);

            Run r = await(run);
            assertEquals(0, r.exit(), r.err() + cluster.logs());
            assertTrue(r.out().contains("[tiny] 8/8 trials done, 0 failed"), r.out());
            Map<String, Row> trials = assertExactlyOnce(out, 3);
            Row rerun = trials.get(trial[0]);
            assertTrue((Integer) rerun.getAs("attempt") >= 1,
                    "the killed trial's row is from attempt " + rerun.getAs("attempt") + ", not from its re-run");
            assertNotEquals(victim[0].executorId(), rerun.getAs("executor_id"),
                    "the killed trial's row names the killed executor");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(3)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aKilledDriverLosesOnlyRunningTrialsAndTheRerunRunsOnlyTheMissingOnes() throws Exception {
        Path out = dir.resolve("d");
        List<String> args = tiny(out);
        // the driver's Spark conf (with the secret) in an argument file of the driver's java command: not on
        // its command line, which ps shows
        Path argFile = dir.resolve("driver.args");
        List<String> jvmArgs = new ArrayList<>(List.of("-Xmx2g", "-cp", System.getProperty("java.class.path"),
                "-Dlog4j2.configurationFile=conf/log4j2-test.properties"));
        driverConf().forEach((k, v) -> jvmArgs.add("-D" + k + "=" + v));
        Files.write(argFile, jvmArgs.stream().map(a -> "\"" + a.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
                .toList());
        Files.setPosixFilePermissions(argFile, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + argFile, "io.gnsweep.Main", "sweep"));
        command.addAll(args);
        Path log = dir.resolve("driver.log");
        Process driver = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean twoDone = waitFor(() -> trialFiles(out).size() >= 2 || !driver.isAlive(), null, SWEEP_TIMEOUT);
            assertTrue(driver.isAlive(), "the driver ended before it could be killed:\n" + Files.readString(log));
            assertTrue(twoDone, "no 2 trials finished in time:\n" + Files.readString(log) + cluster.logs());
            assertTrue(Files.readString(log).contains("master " + cluster.masterUrl()), Files.readString(log));
        } finally {
            driver.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        // the dead driver's executors end (driver disconnected, or the master removes the application); wait
        // for that, so that no trial of the killed run is written after the snapshot
        assertTrue(waitFor(() -> cluster.executors().isEmpty(), null, Duration.ofSeconds(90)),
                "executors of the killed driver still running: " + cluster.executors());
        Map<String, Long> survived = trialFiles(out);
        assertTrue(survived.size() >= 2 && survived.size() < 8, "finished before the kill: " + survived.keySet());

        Run resumed = sweep(args);
        assertEquals(0, resumed.exit(), resumed.err() + cluster.logs());
        int missing = 8 - survived.size();
        assertTrue(resumed.out().contains(missing + " of 8 trials to run (" + survived.size() + " already finished)"),
                resumed.out());
        Map<String, Long> after = trialFiles(out);
        assertEquals(8, after.size(), after.keySet().toString());
        survived.forEach((name, mtime) -> assertEquals(mtime, after.get(name), name + " was run again"));
        assertExactlyOnce(out, 1);
    }

    /**
     * One GPU per trial, scheduled by Spark from the workers' (made-up) GPUs: concurrent trials get distinct
     * devices and the table records them. Without the CUDA backend a trial given a GPU fails fast with the
     * reason, or with gpu.cpu-fallback = true runs on the CPU and says so.
     */
    @Test
    @Order(4)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void eachTrialGetsItsOwnGpuAndAnUnusableOneFailsFastOrFallsBack() throws Exception {
        Path fallback = dir.resolve("gpu-fallback");
        Run run = sweepWithGpus(tiny(fallback, "gpu.cpu-fallback=true"));
        assertEquals(0, run.exit(), run.err());
        Map<String, Row> trials = assertExactlyOnce(fallback, 1);
        Map<String, String> gpuOfExecutor = new HashMap<>();
        for (Row r : trials.values()) {
            String device = r.getAs("device");
            Matcher m = Pattern.compile("cpu \\(fallback from gpu:(\\d)\\)").matcher(device);
            assertTrue(m.matches(), device);
            String previous = gpuOfExecutor.putIfAbsent(r.getAs("executor_id"), m.group(1));
            assertTrue(previous == null || previous.equals(m.group(1)), "an executor's trials saw two GPUs");
        }
        assertEquals(Set.of("0", "1"), Set.copyOf(gpuOfExecutor.values()),
                "the two concurrent executors hold distinct GPUs: " + gpuOfExecutor);

        Path strict = dir.resolve("gpu-strict");
        Run failing = sweepWithGpus(tiny(strict));
        assertEquals(0, failing.exit(), failing.err());
        assertTrue(failing.out().contains("8 failed"), failing.out());
        for (Row r : read(strict.resolve("trials")).get(0)) {
            assertEquals("FAILED", r.getAs("status"));
            assertTrue(((String) r.getAs("error")).contains("CUDA backend is not loaded"), (String) r.getAs("error"));
            assertTrue(((String) r.getAs("device")).matches("gpu:[01]"), (String) r.getAs("device"));
        }
    }

    /**
     * A sweep whose executors and tasks ask for one GPU each. The settings are cleared before anything else
     * runs: a local-mode session (reading the tables back) would wait forever for GPUs it does not have.
     */
    static Run sweepWithGpus(List<String> args) {
        Map<String, String> gpuConf = Map.of("spark.executor.resource.gpu.amount", "1",
                "spark.task.resource.gpu.amount", "1");
        gpuConf.forEach(System::setProperty);
        try {
            return sweep(args);
        } finally {
            gpuConf.keySet().forEach(System::clearProperty);
        }
    }

    @Test
    @Order(5)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aWholeWorkerKilledMidSweepTheSweepCompletesOnTheRest() throws Exception {
        Path out = dir.resolve("c");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Run> run = sweepInBackground(pool, tiny(out, "train.epochs=2"));
            // mid-sweep: both executors up and at least one trial written, some still to go
            boolean midSweep = waitFor(() -> cluster.executors().size() == 2 && !trialFiles(out).isEmpty(), run,
                    SWEEP_TIMEOUT);
            assertTrue(midSweep && trialFiles(out).size() < 8, "not caught mid-sweep: " + trialFiles(out).keySet()
                    + ", executors " + cluster.executors() + cluster.logs());
            LocalCluster.Executor victim = cluster.executors().get(0);
            long worker = cluster.workerPid(victim.worker());
            // the machine is gone: the worker JVM and its executor, both with SIGKILL
            List<Long> pids = new ArrayList<>(List.of(worker));
            ProcessHandle.of(worker).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
            long killedAt = System.currentTimeMillis();
            for (long pid : pids) {
                LocalCluster.kill9(pid);
            }
            System.out.println("killed worker " + victim.worker() + " (pids " + pids + ") with executor "
                    + victim.executorId());

            Run r = await(run);
            assertEquals(0, r.exit(), r.err() + cluster.logs());
            assertTrue(r.out().contains("[tiny] 8/8 trials done, 0 failed"), r.out());
            Map<String, Row> trials = assertExactlyOnce(out, 2);
            List<String> afterKill = new ArrayList<>();
            for (Row row : trials.values()) {
                Timestamp started = row.getAs("started_at");
                if (started.getTime() > killedAt + 1000) {
                    afterKill.add(row.getAs("trial_id"));
                    assertNotEquals(victim.executorId(), row.getAs("executor_id"),
                            row.getAs("trial_id") + " started after the kill on the killed executor");
                }
            }
            assertTrue(!afterKill.isEmpty(), "no trial started after the kill: it was not mid-sweep");
            assertTrue(ProcessHandle.of(worker).isEmpty() || !ProcessHandle.of(worker).get().isAlive());
        } finally {
            pool.shutdownNow();
        }
    }
}
