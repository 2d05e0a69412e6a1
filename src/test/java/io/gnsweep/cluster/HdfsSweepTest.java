package io.gnsweep.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.report.ReportJob;
import io.gnsweep.spark.SweepFixture.Run;
import io.gnsweep.storage.MiniHdfs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FSDataInputStream;
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
 * The sweep with HDFS as its only storage: a real HDFS in this JVM (NameNode + DataNode), a standalone cluster
 * (2 workers x 1 core, executors in their own JVMs), Fashion-MNIST read from {@code hdfs://} by the executors,
 * both tables and the report written to {@code hdfs://}; and the faults of {@link ClusterSweepTest} (an
 * executor killed mid-trial, the driver killed and the sweep resumed) leave exactly one row per trial there.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HdfsSweepTest {
    static final String DATA_DIR = "/data/fashion-mnist";

    @TempDir
    static Path dir;
    static MiniHdfs hdfs;
    static LocalCluster cluster;
    static ClusterRuns runs;
    static String data;

    @BeforeAll
    static void start() throws IOException {
        hdfs = MiniHdfs.start(dir.resolve("hdfs"));
        // the subset's four .gz files are the only data the sweep is given; the jar's copy of them (on the
        // executors' class path too) is not named anywhere, and the NameNode's audit shows who read HDFS
        data = hdfs.putShippedFashionMnist(DATA_DIR);
        cluster = LocalCluster.start(dir.resolve("cluster"), 2, 1);
        runs = new ClusterRuns(cluster);
    }

    @AfterAll
    static void stop() {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (hdfs != null) {
                hdfs.close();
            }
        }
    }

    static List<String> tiny(String out, String... more) {
        return ClusterRuns.tiny(out, data, cluster.masterUrl(), more);
    }

    static String readHdfs(String uri) throws IOException {
        try (FSDataInputStream in = hdfs.fs().open(new org.apache.hadoop.fs.Path(uri))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    @Order(1)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void executorsReadTheDataFromHdfsAndWriteTheTablesThereAndTheReportReadsThemBack() throws Exception {
        String trainImages = DATA_DIR + "/train-images-idx3-ubyte.gz";
        // what the driver's own input check opens, measured with a dry run (it checks and stops)
        long before = hdfs.opens(trainImages);
        assertEquals(0, runs.sweep(ClusterRuns.tiny(hdfs.uri("/results/dry"), data, cluster.masterUrl(), "--dry-run"))
                .exit());
        long driverCheck = hdfs.opens(trainImages) - before;

        String out = hdfs.uri("/results/a");
        long atStart = hdfs.opens(trainImages);
        // a Hadoop client setting given the standard Spark way, as S3A endpoints and credentials are: the
        // executors' writers must use it (HDFS's client default is 3 replicas)
        System.setProperty("spark.hadoop.dfs.replication", "1");
        Run run;
        try {
            run = runs.sweep(tiny(out));
        } finally {
            System.clearProperty("spark.hadoop.dfs.replication");
        }
        assertEquals(0, run.exit(), run.err() + cluster.logs());
        assertTrue(run.out().contains("[tiny] 8/8 trials done, 0 failed"), run.out());
        long byExecutors = hdfs.opens(trainImages) - atStart - driverCheck;
        Map<String, Row> trials = ClusterRuns.assertExactlyOnce(out, 8, 1);
        Set<String> executors = trials.values().stream().map(r -> (String) r.getAs("executor_id"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(executors.size() >= 2 && !executors.contains("driver"), "executors " + executors);
        // each executor loads the data once and shares it between its trials
        assertTrue(byExecutors >= executors.size(), "the executors opened " + trainImages + " on HDFS "
                + byExecutors + " times (driver's check: " + driverCheck + ")");
        for (String table : List.of("trials", "epochs")) {
            for (String f : ClusterRuns.list(out + "/" + table)) {
                assertEquals(1, hdfs.fs().getFileStatus(new org.apache.hadoop.fs.Path(out + "/" + table + "/" + f))
                        .getReplication(), table + "/" + f + " was written without the spark.hadoop.* settings");
            }
        }
        for (Row r : trials.values()) {
            double acc = r.getAs("test_accuracy");
            assertTrue(acc > 0.2, "accuracy " + acc + " of " + r.getAs("trial_id"));
        }
        assertTrue(readHdfs(out + "/spec.json").contains("\"sweep_name\" : \"tiny\""));

        int rc = ReportJob.run(new String[] {out, "--master", "local[1]"});
        assertEquals(0, rc, "report exit status");
        String report = out + "/report";
        assertTrue(readHdfs(report + "/index.html").contains("<html"), "index.html on HDFS");
        // the main table: 2 norms x 2 batch sizes, each the mean of its 2 seeds
        List<String> rows = readHdfs(report + "/by_batch_size.csv").lines().skip(1).toList();
        assertEquals(4, rows.size(), String.join("\n", rows));
        for (String r : rows) {
            assertTrue(r.matches("(batch,,|group,2,)(16|32),2,.*"), r);
        }
    }

    @Test
    @Order(2)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void anExecutorKilledMidTrialLeavesExactlyOneRowPerTrialOnHdfs() throws Exception {
        String out = hdfs.uri("/results/b");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Run> run = runs.sweepInBackground(pool, tiny(out, "train.epochs=3"));
            ClusterRuns.Victim victim = runs.killExecutorMidTrial(out, run);
            Run r = runs.await(run);
            assertEquals(0, r.exit(), r.err() + cluster.logs());
            assertTrue(r.out().contains("[tiny] 8/8 trials done, 0 failed"), r.out());
            Map<String, Row> trials = ClusterRuns.assertExactlyOnce(out, 8, 3);
            Row rerun = trials.get(victim.trial());
            assertTrue((Integer) rerun.getAs("attempt") >= 1,
                    "the killed trial's row is from attempt " + rerun.getAs("attempt") + ", not from its re-run");
            assertNotEquals(victim.executor().executorId(), rerun.getAs("executor_id"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(3)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aKilledDriverResumesFromHdfsAndRunsOnlyTheMissingTrials() throws Exception {
        String out = hdfs.uri("/results/d");
        List<String> args = tiny(out);
        Map<String, Long> survived = runs.killDriverMidSweep(dir, args, out, 2);
        assertTrue(survived.size() >= 2 && survived.size() < 8, "finished before the kill: " + survived.keySet());

        Run resumed = runs.sweep(args);
        assertEquals(0, resumed.exit(), resumed.err() + cluster.logs());
        int missing = 8 - survived.size();
        assertTrue(resumed.out().contains(missing + " of 8 trials to run (" + survived.size() + " already finished)"),
                resumed.out());
        Map<String, Long> after = ClusterRuns.trialFiles(out);
        assertEquals(8, after.size(), after.keySet().toString());
        survived.forEach((name, mtime) -> assertEquals(mtime, after.get(name), name + " was run again"));
        ClusterRuns.assertExactlyOnce(out, 8, 1);
    }
}
