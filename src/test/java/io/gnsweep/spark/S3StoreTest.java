package io.gnsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.data.ClasspathDataFolder;
import io.gnsweep.data.DatasetLoader;
import io.gnsweep.model.Model;
import io.gnsweep.model.NormKind;
import io.gnsweep.report.ReportJob;
import io.gnsweep.runtime.Provenance;
import io.gnsweep.storage.S3Server;
import io.gnsweep.train.EpochMetrics;
import io.gnsweep.train.TrialResult;
import io.gnsweep.train.TrialSpec;
import io.gnsweep.train.TrialStatus;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data and results on an S3-compatible server (S3Proxy) through {@code s3a://}, configured only with the standard
 * {@code spark.hadoop.fs.s3a.*} keys. There a rename is a copy, so each result file is written straight to its
 * final key; these tests show what that commit gives: a reader finds a trial's file whole or not at all (never
 * partial, never two), also while a re-run replaces it and while an upload is under way or abandoned, and a
 * sweep whose tasks are retried still has one row per trial.
 */
class S3StoreTest {
    @TempDir
    static Path dir;
    static S3Server s3;
    static final String DATA = "s3a://data/fashion-mnist";

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Server.start(dir.resolve("s3"));
        s3.createBuckets(List.of("data", "results"));
        s3.sparkConf().forEach(System::setProperty);
        ClasspathDataFolder shipped = new ClasspathDataFolder(ClasspathDataFolder.SHIPPED_FASHION_MNIST);
        FileSystem fs = FileSystem.get(URI.create(DATA), HadoopConf.get());
        for (String f : DatasetLoader.files("fashion-mnist", shipped)) {
            try (InputStream in = shipped.open(f);
                 OutputStream out = fs.create(new org.apache.hadoop.fs.Path(DATA + "/" + f), true)) {
                in.transferTo(out);
            }
        }
    }

    @AfterAll
    static void stop() throws IOException {
        if (s3 != null) {
            s3.sparkConf().keySet().forEach(System::clearProperty);
            s3.close();
        }
    }

    static List<String> names(String folder) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(folder);
        List<String> names = new ArrayList<>();
        try {
            for (FileStatus s : p.getFileSystem(HadoopConf.get()).listStatus(p)) {
                names.add(s.getPath().getName());
            }
        } catch (FileNotFoundException none) {
            return List.of();
        }
        names.sort(null);
        return names;
    }

    @Test
    void aSweepOnS3WithRetriedTasksHasOneRowPerTrialAndTheReportReadsIt() throws Exception {
        String out = "s3a://results/tiny";
        // attempt 0 of two trials dies before writing, of one right after writing: Spark runs them again
        // (local[2,2]: 2 attempts per task)
        Map<String, String> faults = Map.of("spark.gnsweep.test.crashBeforeWrite", "batch-bs16-s1|group-g2-bs32-s1",
                "spark.gnsweep.test.crashAfterWrite", "group-g2-bs16-s1");
        faults.forEach(System::setProperty);
        SweepFixture.Run run;
        try {
            run = SweepFixture.sweep(SweepFixture.tiny(out, "dataset.path=" + DATA,
                    "--master", "local[2,2]"));
        } finally {
            faults.keySet().forEach(System::clearProperty);
        }
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("[tiny] 4/4 trials done, 0 failed"), run.out());

        Set<String> ids = new TreeSet<>();
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            List<Row> trials = spark.read().parquet(out + "/trials").collectAsList();
            for (Row r : trials) {
                assertTrue(ids.add(r.getAs("trial_id")), "two rows for " + r.getAs("trial_id"));
                assertEquals("COMPLETE", r.getAs("status"), r.getAs("trial_id") + ": " + r.getAs("error"));
                String id = r.getAs("trial_id");
                int attempt = r.getAs("attempt");
                assertEquals(id.matches("batch-bs16-s1|group-g2-bs32-s1") ? 1 : 0, attempt, id + " attempt");
            }
            assertEquals(4, ids.size(), ids.toString());
            assertEquals(4, spark.read().parquet(out + "/epochs").count(), "epoch rows (1 epoch each)");
            assertEquals(0, ReportJob.run(new String[] {out, "--master", "local[1]"}), "report exit status");
        } finally {
            spark.stop();
        }
        List<String> expected = ids.stream().map(id -> id + ".parquet").toList();
        assertEquals(expected, names(out + "/trials"), "trials/ holds one object per trial and nothing else");
        assertEquals(expected, names(out + "/epochs"), "epochs/ holds one object per trial and nothing else");
        assertTrue(names(out + "/report").contains("index.html"), names(out + "/report").toString());

        // resume: the same sweep again finds every trial on S3 and runs none
        SweepFixture.Run again = SweepFixture.sweep(SweepFixture.tiny(out, "dataset.path=" + DATA,
                "--master", "local[2]"));
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains("0 of 4 trials to run (4 already finished)"), again.out());
        assertEquals(expected, names(out + "/trials"), "the resumed run wrote nothing new");
    }

    private static final TrialSpec SPEC = new TrialSpec("fashion-mnist", "/data", 256, 128, Model.SMALL_CNN, 0.25,
            NormKind.GROUP, 2, 16, 0.002, 1, 1);

    /** A result whose epochs table has {@code epochs} rows: bigger with each replacement. */
    private static TrialResult result(int epochs) {
        List<EpochMetrics> m = IntStream.rangeClosed(1, epochs)
                .mapToObj(e -> new EpochMetrics(e, 1.5, 1.2, 0.5 + e * 1e-4, 2.0, 128.0)).toList();
        return new TrialResult(SPEC, TrialStatus.COMPLETE, null, m, 1234, Instant.EPOCH, Instant.EPOCH.plusSeconds(2),
                "cpu");
    }

    private static ResultStore.Context context(int attempt) {
        return new ResultStore.Context("tiny", "sweep-1", "run-1", attempt, "0", "localhost",
                new Provenance("0", null, "1.0.0-M2.1", "CPU", "4.1", "17", "Linux", "amd64"));
    }

    /**
     * A trial replaced 25 times while readers poll it by name, by listing, and by reading the row: none finds it
     * missing, none reads a partial file (a read that fails), none sees a second object for it.
     */
    @Test
    void readersNeverSeeAMissingPartialOrDuplicateTrialWhileItIsReplaced() throws Exception {
        ResultStore store = new ResultStore("s3a://results/replaced");
        String id = SPEC.trialId();
        store.write(result(1), context(0));
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger polls = new AtomicInteger();
        AtomicReference<String> problem = new AtomicReference<>();
        List<Runnable> checks = List.of(
                () -> {
                    if (!call(() -> store.has(id))) {
                        problem.compareAndSet(null, "has() found the trial missing");
                    }
                },
                () -> {
                    Set<String> f = call(store::finished);
                    List<String> listed = call(() -> names("s3a://results/replaced/trials"));
                    if (!f.equals(Set.of(id)) || !listed.equals(List.of(id + ".parquet"))) {
                        problem.compareAndSet(null, "the listing showed " + listed);
                    }
                },
                () -> {
                    try {
                        if (store.readTrialRow(id) == null) {
                            problem.compareAndSet(null, "a trial file without its row");
                        }
                    } catch (IOException e) {
                        problem.compareAndSet(null, "a read failed (a partial file?): " + e);
                    }
                });
        List<Thread> readers = checks.stream().map(check -> new Thread(() -> {
            while (writing.get()) {
                try {
                    check.run();
                } catch (RuntimeException e) {
                    problem.compareAndSet(null, "a reader failed: " + e);
                }
                polls.incrementAndGet();
            }
        })).toList();
        readers.forEach(Thread::start);
        int replacements = 25;
        try {
            for (int attempt = 1; attempt <= replacements; attempt++) {
                store.write(result(1 + attempt * 20), context(attempt));
            }
        } finally {
            writing.set(false);
            for (Thread t : readers) {
                t.join();
            }
        }
        System.out.printf("%d replacements, %d polls%n", replacements, polls.get());
        assertEquals(null, problem.get());
        assertTrue(polls.get() > 2 * replacements, "the readers polled only " + polls.get() + " times");
        assertEquals(replacements, readAttempt(store, id));
    }

    private static int readAttempt(ResultStore store, String id) throws IOException {
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            return spark.read().parquet(store.trialFile(id).toString()).first().getAs("attempt");
        } finally {
            spark.stop();
        }
    }

    /**
     * An object appears when its upload completes, whole, and not before: a 12 MB upload in 5 MB parts is not
     * listed while its parts go up, and an abandoned one (what a killed task leaves) never is.
     */
    @Test
    void anUploadUnderWayOrAbandonedIsInvisible() throws Exception {
        Configuration conf = HadoopConf.get();
        conf.setLong("fs.s3a.multipart.size", 5L << 20);
        String folder = "s3a://results/uploads/trials";
        ResultStore store = new ResultStore("s3a://results/uploads");
        byte[] chunk = new byte[1 << 20];
        try (FileSystem fs = FileSystem.newInstance(URI.create(folder), conf)) {
            org.apache.hadoop.fs.Path done = new org.apache.hadoop.fs.Path(folder + "/done.parquet");
            try (FSDataOutputStream out = fs.create(done, true)) {
                for (int i = 0; i < 12; i++) {
                    out.write(chunk);
                }
                Thread.sleep(500); // the first parts are uploading or up
                assertFalse(store.has("done"), "visible before the upload completed");
                assertEquals(List.of(), names(folder));
            }
            assertEquals(12L << 20, fs.getFileStatus(done).getLen(), "visible whole once complete");

            org.apache.hadoop.fs.Path abandoned = new org.apache.hadoop.fs.Path(folder + "/abandoned.parquet");
            FSDataOutputStream out = fs.create(abandoned, true);
            for (int i = 0; i < 12; i++) {
                out.write(chunk);
            }
            out.abort();
            assertFalse(store.has("abandoned"), "an abandoned upload became visible");
            assertEquals(Set.of("done"), store.finished());
        }
    }

    @Test
    void aMissingBucketIsOneMessageWithTheUriAndNothingStarts() {
        for (List<String> args : List.of(
                SweepFixture.tiny("s3a://no-such-bucket/r", "dataset.path=" + DATA, "--master", "local[1]"),
                SweepFixture.tiny("s3a://results/never", "dataset.path=s3a://no-such-bucket/d",
                        "--master", "local[1]"))) {
            SweepFixture.Run r = SweepFixture.sweep(args);
            assertEquals(2, r.exit(), r.out() + r.err());
            assertTrue(r.err().startsWith("gnsweep sweep: ") && r.err().contains("s3a://no-such-bucket/"), r.err());
            assertFalse(r.out().contains("trials to run"), r.out());
        }
        assertEquals(List.of(), uncheckedNames("s3a://results/never"), "the refused sweep wrote its output");
    }

    private static List<String> uncheckedNames(String folder) {
        return call(() -> names(folder));
    }

    interface IoCall<T> {
        T get() throws IOException;
    }

    private static <T> T call(IoCall<T> c) {
        try {
            return c.get();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
