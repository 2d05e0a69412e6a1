package io.gnsweep.spark;

import static io.gnsweep.spark.SweepFixture.sweep;
import static io.gnsweep.spark.SweepFixture.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep job in Spark local mode, on real (small) trainings. */
class SweepJobTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void data() {
        SweepFixture.requireData();
    }

    @AfterEach
    void clearInjections() {
        System.clearProperty("spark.gnsweep.test.failTrials");
        System.clearProperty("spark.gnsweep.test.crashBeforeWrite");
        System.clearProperty("spark.gnsweep.test.crashAfterWrite");
    }

    private static List<Row> read(Path table) {
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            Dataset<Row> df = spark.read().parquet(table.toString());
            return df.orderBy("trial_id").collectAsList();
        } finally {
            spark.stop();
        }
    }

    private static StructType schema(Path table) {
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            return spark.read().parquet(table.toString()).schema();
        } finally {
            spark.stop();
        }
    }

    private static Map<String, Row> byId(List<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : rows) {
            assertNull(m.put(r.getAs("trial_id"), r), "two rows for " + r.getAs("trial_id"));
        }
        return m;
    }

    /** A summary cell for one COMPLETE trial: its accuracy in percent and n = 1. */
    private static String cell(Row r) {
        return String.format(java.util.Locale.ROOT, "%.2f (1)", 100 * (double) r.getAs("test_accuracy"));
    }

    private static Map<String, Long> mtimes(Path trials) throws Exception {
        try (var s = Files.list(trials)) {
            return s.filter(p -> p.toString().endsWith(".parquet"))
                    .collect(Collectors.toMap(p -> p.getFileName().toString(), p -> p.toFile().lastModified()));
        }
    }

    @Test
    void runsWritesBothTablesAndResumesWithoutRerunning() throws Exception {
        Path out = dir.resolve("r");
        SweepFixture.Run first = sweep(tiny(out, "--master", "local[2]"));
        assertEquals(0, first.exit(), first.err());
        assertTrue(first.out().contains("4 of 4 trials to run"), first.out());
        assertTrue(first.out().contains("[tiny] 4/4 trials done, 0 failed"), first.out());
        assertTrue(Files.exists(out.resolve("spec.json")));

        Map<String, Row> trials = byId(read(out.resolve("trials")));
        assertEquals(List.of("batch-bs16-s1", "batch-bs32-s1", "group-g2-bs16-s1", "group-g2-bs32-s1"),
                trials.keySet().stream().sorted().toList());
        for (Row r : trials.values()) {
            assertEquals("COMPLETE", r.getAs("status"));
            assertNull(r.getAs("error"));
            double acc = r.getAs("test_accuracy");
            assertTrue(acc > 0.2 && acc <= 1.0, "accuracy " + acc + " of " + r.getAs("trial_id"));
            assertEquals("cpu", r.getAs("device"));
            assertEquals("tiny", r.getAs("sweep_name"));
            assertTrue(((String) r.getAs("nd4j_backend")).startsWith("CPU"));
            assertTrue((Long) r.getAs("num_params") > 0);
        }
        assertNull(trials.get("batch-bs16-s1").getAs("groups"));
        assertEquals(2, (int) trials.get("group-g2-bs16-s1").getAs("groups"));
        // the end-of-sweep summary shows each trial's accuracy (one seed per cell) as read back by Spark
        for (String norm : List.of("batch", "group-g2")) {
            String line = String.format(java.util.Locale.ROOT, "%-14s | %12s | %12s",
                    norm.equals("batch") ? "batch" : "group G=2", cell(trials.get(norm + "-bs16-s1")),
                    cell(trials.get(norm + "-bs32-s1")));
            assertTrue(first.out().contains(line), "summary line '" + line + "' in:\n" + first.out());
        }
        assertTrue(first.out().contains("4 trials in the table, 0 not complete"), first.out());

        StructType s = schema(out.resolve("trials"));
        assertEquals(DataTypes.TimestampType, s.apply("started_at").dataType());
        assertEquals(DataTypes.IntegerType, s.apply("batch_size").dataType());
        assertEquals(DataTypes.DoubleType, s.apply("test_accuracy").dataType());
        assertEquals(DataTypes.LongType, s.apply("num_params").dataType());
        for (String col : List.of("sweep_name", "sweep_id", "trial_id", "norm", "groups", "batch_size", "lr",
                "epochs", "seed", "dataset", "model", "status", "error", "test_accuracy", "test_loss",
                "best_test_accuracy", "train_loss", "train_time_s", "images_per_s", "num_params", "started_at",
                "finished_at", "attempt", "executor_id", "host", "device", "gnsweep_version", "git_commit",
                "dl4j_version", "nd4j_backend", "spark_version", "java_version", "os", "arch")) {
            assertTrue(List.of(s.fieldNames()).contains(col), "missing column " + col);
        }
        List<Row> epochs = read(out.resolve("epochs"));
        assertEquals(4, epochs.size());
        assertEquals(List.of("sweep_id", "trial_id", "epoch", "train_loss", "test_loss", "test_accuracy",
                "epoch_time_s", "images_per_s"), List.of(schema(out.resolve("epochs")).fieldNames()));

        Map<String, Long> before = mtimes(out.resolve("trials"));
        SweepFixture.Run again = sweep(tiny(out, "--master", "local[2]"));
        assertEquals(0, again.exit());
        assertTrue(again.out().contains("0 of 4 trials to run (4 already finished)"), again.out());
        assertEquals(before, mtimes(out.resolve("trials")));

        // a damaged trial file costs its own row in the summary, with a warning, not the whole summary
        Files.write(out.resolve("trials").resolve("batch-bs32-s1.parquet"), new byte[] {1, 2, 3});
        SweepFixture.Run damaged = sweep(tiny(out, "--master", "local[2]"));
        assertEquals(0, damaged.exit(), damaged.err());
        assertTrue(damaged.out().contains("warning: skipped unreadable trial row")
                && damaged.out().contains("batch-bs32-s1.parquet"), damaged.out());
        assertTrue(damaged.out().contains("3 trials in the table, 0 not complete"), damaged.out());
    }

    @Test
    void aFailingTrialIsRecordedTheOthersCompleteAndRerunFailedRepairsIt() {
        Path out = dir.resolve("f");
        System.setProperty("spark.gnsweep.test.failTrials", "group-g2-bs32-s1");
        SweepFixture.Run run = sweep(tiny(out, "--master", "local[2]"));
        assertEquals(0, run.exit(), "a failed trial does not fail the job");
        assertTrue(run.out().contains("1 failed"), run.out());
        Map<String, Row> trials = byId(read(out.resolve("trials")));
        assertEquals(4, trials.size());
        Row bad = trials.get("group-g2-bs32-s1");
        assertEquals("FAILED", bad.getAs("status"));
        assertTrue(((String) bad.getAs("error")).contains("injected failure"), (String) bad.getAs("error"));
        trials.values().stream().filter(r -> r != bad).forEach(r -> assertEquals("COMPLETE", r.getAs("status")));
        assertTrue(run.out().contains("4 trials in the table, 1 not complete"), run.out());
        assertTrue(run.out().contains("  group-g2-bs32-s1: FAILED - " + bad.getAs("error")), run.out());
        assertTrue(run.out().contains(String.format(java.util.Locale.ROOT, "%-14s | %12s | %12s", "group G=2",
                cell(trials.get("group-g2-bs16-s1")), "-")), "the failed trial's cell is empty: " + run.out());

        System.clearProperty("spark.gnsweep.test.failTrials");
        SweepFixture.Run plain = sweep(tiny(out, "--master", "local[2]"));
        assertTrue(plain.out().contains("0 of 4 trials to run"), "resume keeps FAILED rows: " + plain.out());
        SweepFixture.Run repair = sweep(tiny(out, "--master", "local[2]", "--rerun-failed"));
        assertTrue(repair.out().contains("1 of 4 trials to run"), repair.out());
        Map<String, Row> after = byId(read(out.resolve("trials")));
        assertEquals(4, after.size());
        assertEquals("COMPLETE", after.get("group-g2-bs32-s1").getAs("status"));
    }

    @Test
    void aNaNLossIsRecordedAsDiverged() {
        Path out = dir.resolve("d");
        SweepFixture.Run run = sweep(tiny(out, "--master", "local[2]", "axes.norm=[none]", "axes.batch-size=[32]",
                "train.lr=1e30"));
        assertEquals(0, run.exit());
        Row r = byId(read(out.resolve("trials"))).get("none-bs32-s1");
        assertEquals("DIVERGED", r.getAs("status"));
        assertTrue(((String) r.getAs("error")).contains("NaN") || ((String) r.getAs("error")).contains("Infinity"),
                (String) r.getAs("error"));
    }

    @Test
    void aTaskRetriedAfterOrBeforeWritingLeavesExactlyOneRow() throws Exception {
        Path out = dir.resolve("t");
        System.setProperty("spark.gnsweep.test.crashAfterWrite", "batch-bs16-s1");
        System.setProperty("spark.gnsweep.test.crashBeforeWrite", "group-g2-bs16-s1");
        SweepFixture.Run run = sweep(tiny(out, "--master", "local[2,3]"));
        assertEquals(0, run.exit(), run.err());
        // the attempt that wrote batch-bs16-s1 crashed before its counters reached the driver: the retry counts it
        assertTrue(run.out().contains("4/4 trials done, 0 failed"), run.out());
        List<Row> rows = read(out.resolve("trials"));
        Map<String, Row> trials = byId(rows);
        assertEquals(4, rows.size());
        assertEquals(0, (int) trials.get("batch-bs16-s1").getAs("attempt"), "the retry found the result and skipped");
        assertEquals(1, (int) trials.get("group-g2-bs16-s1").getAs("attempt"), "the retry trained and wrote");
        assertEquals(4, read(out.resolve("epochs")).size());
        // nothing but the four result files in either table: no temporary file (_tmp-<id>-<uuid>) left behind
        for (String table : List.of("trials", "epochs")) {
            try (var files = Files.list(out.resolve(table))) {
                assertEquals(trials.keySet().stream().map(id -> id + ".parquet").sorted().toList(),
                        files.map(p -> p.getFileName().toString()).sorted().toList(), table);
            }
        }
    }

    @Test
    void aResNetSweepRunsItsComputationGraphsAndNamesTheirProtocol() {
        Path out = dir.resolve("resnet");
        SweepFixture.Run run = sweep(tiny(out, "--master", "local[2]", "model=resnet", "model-depth=8",
                "axes.batch-size=[32]", "axes.groups=[2]", "train.optimizer=sgd", "train.lr=0.05",
                "train.lr-schedule=cosine"));
        assertEquals(0, run.exit(), run.err());
        Map<String, Row> trials = byId(read(out.resolve("trials")));
        assertEquals(List.of("batch-bs32-d8-sgd-s1", "group-g2-bs32-d8-sgd-s1"), trials.keySet().stream().sorted().toList());
        for (Row r : trials.values()) {
            assertEquals("COMPLETE", r.getAs("status"), (String) r.getAs("error"));
            assertEquals("resnet", r.getAs("model"));
            assertEquals(8, (int) r.getAs("model_depth"));
            assertEquals(true, r.getAs("zero_init_last_norm"));
            assertEquals("cosine", r.getAs("lr_schedule"));
            assertNull(r.getAs("lr_milestones"), "milestones apply to the step schedule only");
        }
        // ResNet-8 at width 1/4 (4/8/16 channels): GroupNorm's 2C per norm vs BatchNorm's 4C (its running
        // mean and variance are DL4J parameters too) over the 4+4+4+8+8+8+16+16+16 = 84 normalised channels
        assertEquals(2 * 84, (long) trials.get("batch-bs32-d8-sgd-s1").getAs("num_params")
                - (long) trials.get("group-g2-bs32-d8-sgd-s1").getAs("num_params"));
    }

    @Test
    void oneAndTwoConcurrentTasksGiveIdenticalMetrics() {
        // under the paper's protocol: SGD with momentum and weight decay, a step schedule with warm-up, and
        // crop-flip augmentation drawn per (seed, epoch, image), so the task layout cannot change the draws
        Map<String, List<Object>> metrics = new HashMap<>();
        int compared = 0;
        for (String master : List.of("local[1]", "local[2]")) {
            Path out = dir.resolve(master.replaceAll("\\W", ""));
            assertEquals(0, sweep(tiny(out, "--master", master, "train.optimizer=sgd", "train.weight-decay=5e-4",
                    "train.lr-schedule=step", "train.warmup-epochs=0.25", "train.augment=crop-flip",
                    "train.lr=0.02")).exit());
            Row any = read(out.resolve("trials")).get(0);
            assertEquals("sgd", any.getAs("optimizer"));
            assertEquals(0.9, (double) any.getAs("momentum"), 0.0);
            assertEquals(false, any.getAs("nesterov"));
            assertEquals(5e-4, (double) any.getAs("weight_decay"), 0.0);
            assertEquals("step", any.getAs("lr_schedule"));
            assertEquals("0.5,0.75", any.getAs("lr_milestones"));
            assertEquals(0.25, (double) any.getAs("warmup_epochs"), 0.0);
            assertEquals("crop-flip", any.getAs("augment"));
            assertNull(any.getAs("model_depth"), "small-cnn has no depth setting");
            assertTrue(((String) any.getAs("trial_id")).endsWith("-sgd-wd5e-4-s1"), (String) any.getAs("trial_id"));
            for (Row r : read(out.resolve("trials"))) {
                List<Object> m = new ArrayList<>(List.of(r.getAs("test_accuracy"), r.getAs("test_loss"),
                        r.getAs("train_loss")));
                List<Object> previous = metrics.putIfAbsent(r.getAs("trial_id"), m);
                if (previous != null) {
                    assertEquals(previous, m, "metrics of " + r.getAs("trial_id") + " differ between local[1] and local[2]");
                    compared++;
                }
            }
        }
        assertEquals(4, metrics.size());
        assertEquals(4, compared, "trials of the local[2] run compared with the local[1] run");
    }
}
