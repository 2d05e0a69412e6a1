package io.gnsweep.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gnsweep.spark.SweepFixture;
import io.gnsweep.spark.SweepFixture.Run;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
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
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Sweeps run against a {@link LocalCluster} with this JVM (or a separate JVM) as the driver, and the checks the
 * cluster tests share. Result folders are given as strings that Hadoop resolves (a local path, or an
 * {@code hdfs://} URI), so the same checks hold for results on the local disk and on HDFS.
 */
final class ClusterRuns {
    static final Duration SWEEP_TIMEOUT = Duration.ofMinutes(3);

    final LocalCluster cluster;

    ClusterRuns(LocalCluster cluster) {
        this.cluster = cluster;
    }

    /** A small real sweep: 8 trials (batch, group G=2) x (bs 16, 32) x (seed 1, 2) on 256 images. */
    static List<String> tiny(String out, String data, String master, String... more) {
        List<String> args = new ArrayList<>(List.of("name=tiny", "output=" + out, "model-width=0.25",
                "dataset.path=" + data, "dataset.train-limit=256", "dataset.test-limit=128",
                "axes.norm=[batch,group]", "axes.batch-size=[16,32]", "axes.groups=[2]", "axes.seed=[1,2]",
                "train.lr=0.002", "--master", master));
        args.addAll(List.of(more));
        return args;
    }

    /**
     * The driver's Spark conf for this cluster, as System properties (SweepJob builds {@code new SparkConf()}):
     * the RPC secret from cluster.sh's properties file, the executors' classpath (the application jar does not
     * exist during {@code mvn test}: executors get the test JVM's classpath), loopback addresses.
     */
    Map<String, String> driverConf() {
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
    Run sweep(List<String> args) {
        Map<String, String> conf = driverConf();
        conf.forEach(System::setProperty);
        try {
            return SweepFixture.sweep(args);
        } finally {
            conf.keySet().forEach(System::clearProperty);
        }
    }

    /** Runs the sweep in a background thread, to inject a fault meanwhile. */
    Future<Run> sweepInBackground(ExecutorService pool, List<String> args) {
        return pool.submit(() -> sweep(args));
    }

    Run await(Future<Run> f) throws Exception {
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
    static List<List<Row>> read(String... tables) {
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            List<List<Row>> rows = new ArrayList<>();
            for (String t : tables) {
                rows.add(spark.read().parquet(t).collectAsList());
            }
            return rows;
        } finally {
            spark.stop();
        }
    }

    /** Names in a folder (empty if there is none), through Hadoop: a local path or any URI. */
    static List<String> list(String folder) {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(folder);
        try {
            FileSystem fs = dir.getFileSystem(new Configuration());
            List<String> names = new ArrayList<>();
            for (FileStatus s : fs.listStatus(dir)) {
                names.add(s.getPath().getName());
            }
            names.sort(null);
            return names;
        } catch (FileNotFoundException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** trials/*.parquet file name -> modification time. */
    static Map<String, Long> trialFiles(String out) {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(out + "/trials");
        Map<String, Long> m = new TreeMap<>();
        try {
            for (FileStatus s : dir.getFileSystem(new Configuration()).listStatus(dir)) {
                if (s.getPath().getName().endsWith(".parquet") && !s.getPath().getName().startsWith("_")) {
                    m.put(s.getPath().getName(), s.getModificationTime());
                }
            }
        } catch (IOException e) {
            return Map.of(); // not there yet, or being changed: the next poll sees it
        }
        return m;
    }

    /**
     * Exactly one COMPLETE row per trial of the {@code expected}, one epochs row per trial and epoch, and one
     * .parquet file per trial in each table; anything else in the table folders is hidden (a "_" or "." name:
     * what Spark, DuckDB globs and pandas skip), e.g. the temporary file of a trial whose executor was killed.
     */
    static Map<String, Row> assertExactlyOnce(String out, int expected, int epochs) {
        List<List<Row>> tables = read(out + "/trials", out + "/epochs");
        Map<String, Row> trials = new TreeMap<>();
        for (Row r : tables.get(0)) {
            assertNull(trials.put(r.getAs("trial_id"), r), "two rows for trial " + r.getAs("trial_id"));
        }
        assertEquals(expected, trials.size(), "trial rows: " + trials.keySet());
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
            List<String> names = list(out + "/" + table);
            List<String> parquet = names.stream().filter(n -> n.endsWith(".parquet") && !n.startsWith("_")
                    && !n.startsWith(".")).toList();
            assertEquals(trials.keySet().stream().map(id -> id + ".parquet").sorted().toList(), parquet, table);
            for (String n : names) {
                assertTrue(parquet.contains(n) || n.startsWith("_") || n.startsWith("."),
                        table + "/" + n + " would be read as part of the table");
            }
        }
        return trials;
    }

    private static final Pattern EPOCH_LINE = Pattern.compile("trial (\\S+) epoch (\\d+)/(\\d+)");

    /** The trial an executor is in the middle of: its last epoch line is not the trial's last epoch. */
    static String midTrial(LocalCluster.Executor e, String out) {
        Matcher m = EPOCH_LINE.matcher(e.stderr());
        String trial = null;
        boolean unfinished = false;
        while (m.find()) {
            trial = m.group(1);
            unfinished = Integer.parseInt(m.group(2)) < Integer.parseInt(m.group(3));
        }
        return trial != null && unfinished && !trialFiles(out).containsKey(trial + ".parquet") ? trial : null;
    }

    /** An executor killed during one of its trials. */
    record Victim(LocalCluster.Executor executor, String trial) {}

    /** Waits until an executor of the running sweep is between two epochs of a trial and kills it (SIGKILL). */
    Victim killExecutorMidTrial(String out, Future<Run> run) throws InterruptedException {
        Victim[] victim = new Victim[1];
        boolean found = waitFor(() -> {
            for (LocalCluster.Executor e : cluster.executors()) {
                String t = midTrial(e, out);
                if (t != null) {
                    victim[0] = new Victim(e, t);
                    return true;
                }
            }
            return false;
        }, run, SWEEP_TIMEOUT);
        assertTrue(found, "no executor was seen between two epochs of a trial" + cluster.logs());
        long pid = victim[0].executor().pid();
        LocalCluster.kill9(pid);
        assertTrue(ProcessHandle.of(pid).isEmpty() || !ProcessHandle.of(pid).get().isAlive(), "executor still alive");
        System.out.println("killed executor " + victim[0].executor() + " during trial " + victim[0].trial());
        return victim[0];
    }

    /**
     * Runs the sweep command in a separate driver JVM, kills it (SIGKILL) once {@code atLeast} trials are written,
     * waits until that driver's executors have ended, and returns the trial files that survived (name -> mtime).
     * The driver's Spark conf (with the secret) goes into an argument file of its java command, not on its
     * command line, which ps shows.
     */
    Map<String, Long> killDriverMidSweep(Path dir, List<String> args, String out, int atLeast) throws Exception {
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
            boolean enough = waitFor(() -> trialFiles(out).size() >= atLeast || !driver.isAlive(), null, SWEEP_TIMEOUT);
            assertTrue(driver.isAlive(), "the driver ended before it could be killed:\n" + Files.readString(log));
            assertTrue(enough, "no " + atLeast + " trials finished in time:\n" + Files.readString(log) + cluster.logs());
            assertTrue(Files.readString(log).contains("master " + cluster.masterUrl()), Files.readString(log));
        } finally {
            driver.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        // the dead driver's executors end (driver disconnected, or the master removes the application); wait
        // for that, so that no trial of the killed run is written after the snapshot
        assertTrue(waitFor(() -> cluster.executors().isEmpty(), null, Duration.ofSeconds(90)),
                "executors of the killed driver still running: " + cluster.executors());
        return trialFiles(out);
    }
}
