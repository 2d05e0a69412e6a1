package io.gnsweep.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.data.FashionMnistFolder;
import io.gnsweep.spark.SweepFixture.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    private static final Duration SWEEP_TIMEOUT = ClusterRuns.SWEEP_TIMEOUT;

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

    /** {@link ClusterRuns#tiny} on the local data folder, shipped to the executors. */
    static List<String> tiny(Path out, String... more) {
        return ClusterRuns.tiny(out.toString(), fashion.toString(), cluster.masterUrl(), more);
    }

    static ClusterRuns runs() {
        return new ClusterRuns(cluster);
    }

    static Map<String, String> driverConf() {
        return runs().driverConf();
    }

    static Run sweep(List<String> args) {
        return runs().sweep(args);
    }

    static Future<Run> sweepInBackground(ExecutorService pool, List<String> args) {
        return runs().sweepInBackground(pool, args);
    }

    static Run await(Future<Run> f) throws Exception {
        return runs().await(f);
    }

    static boolean waitFor(BooleanSupplier condition, Future<?> run, Duration timeout) throws InterruptedException {
        return ClusterRuns.waitFor(condition, run, timeout);
    }

    static List<List<Row>> read(Path... tables) {
        return ClusterRuns.read(java.util.Arrays.stream(tables).map(Path::toString).toArray(String[]::new));
    }

    static Map<String, Long> trialFiles(Path out) {
        return ClusterRuns.trialFiles(out.toString());
    }

    /** Exactly one COMPLETE row per trial of the 8 ({@link ClusterRuns#assertExactlyOnce}). */
    static Map<String, Row> assertExactlyOnce(Path out, int epochs) {
        return ClusterRuns.assertExactlyOnce(out.toString(), 8, epochs);
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

    @Test
    @Order(2)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void anExecutorKilledMidTrialLeavesExactlyOneRowPerTrial() throws Exception {
        Path out = dir.resolve("b");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Run> run = sweepInBackground(pool, tiny(out, "train.epochs=3"));
            ClusterRuns.Victim victim = runs().killExecutorMidTrial(out.toString(), run);

            Run r = await(run);
            assertEquals(0, r.exit(), r.err() + cluster.logs());
            assertTrue(r.out().contains("[tiny] 8/8 trials done, 0 failed"), r.out());
            Map<String, Row> trials = assertExactlyOnce(out, 3);
            Row rerun = trials.get(victim.trial());
            assertTrue((Integer) rerun.getAs("attempt") >= 1,
                    "the killed trial's row is from attempt " + rerun.getAs("attempt") + ", not from its re-run");
            assertNotEquals(victim.executor().executorId(), rerun.getAs("executor_id"),
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
        Map<String, Long> survived = runs().killDriverMidSweep(dir, args, out.toString(), 2);
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
