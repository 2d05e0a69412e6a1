package io.gnsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.model.Model;
import io.gnsweep.model.NormKind;
import io.gnsweep.runtime.Provenance;
import io.gnsweep.train.EpochMetrics;
import io.gnsweep.train.TrialResult;
import io.gnsweep.train.TrialSpec;
import io.gnsweep.train.TrialStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replacing a trial's result files, as a re-run does, while readers look at them. */
class ResultStoreTest {
    @TempDir
    Path dir;

    private static final TrialSpec SPEC = new TrialSpec("fashion-mnist", "/data", 256, 128, Model.SMALL_CNN, 0.25,
            NormKind.GROUP, 2, 16, 0.002, 1, 1);

    private static TrialResult result(double accuracy) {
        return new TrialResult(SPEC, TrialStatus.COMPLETE, null,
                List.of(new EpochMetrics(1, 1.5, 1.2, accuracy, 2.0, 128.0)), 1234, Instant.EPOCH,
                Instant.EPOCH.plusSeconds(2), "cpu");
    }

    private static ResultStore.Context context(int attempt) {
        return new ResultStore.Context("tiny", "sweep-1", "run-1", attempt, "0", "localhost",
                new Provenance("0", null, "1.0.0-M2.1", "CPU", "4.1", "17", "Linux", "amd64"));
    }

    /**
     * A file replaced 60 times while three readers poll it as the job and the summary do: by exact name
     * ({@link ResultStore#has}, what a retried task checks before training again), by listing the table
     * ({@link ResultStore#finished}, what resuming and the summary start from), and by reading the row. None
     * may ever find the trial missing, or a row that cannot be read; the last write wins.
     */
    @Test
    void readersNeverSeeAReplacedTrialMissing() throws Exception {
        ResultStore store = new ResultStore(ResultStore.qualify(dir.toString()));
        String id = SPEC.trialId();
        store.write(result(0.5), context(0));
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger polls = new AtomicInteger();
        AtomicInteger missing = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Runnable> checks = List.of(
                () -> count(!has(store, id), missing),
                () -> count(!finished(store).contains(id), missing),
                () -> count(readRow(store, id) == null, missing));
        List<Thread> readers = checks.stream().map(check -> new Thread(() -> {
            try {
                while (writing.get()) {
                    check.run();
                    polls.incrementAndGet();
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000); // leave the writer a core

                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        })).toList();
        readers.forEach(Thread::start);
        int replacements = 60;
        try {
            for (int attempt = 1; attempt <= replacements; attempt++) {
                store.write(result(0.5 + attempt * 1e-4), context(attempt));
            }
        } finally {
            writing.set(false);
            for (Thread t : readers) {
                t.join();
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("a reader failed: " + failure.get(), failure.get());
        }
        System.out.printf("%d replacements, %d polls, %d found the trial missing%n", replacements, polls.get(),
                missing.get());
        assertTrue(polls.get() > 3 * replacements, "the readers polled only " + polls.get() + " times");
        assertEquals(0, missing.get(), "polls that found the trial missing");
        assertEquals(0.5 + replacements * 1e-4, store.readTrialRow(id).testAccuracy(), 1e-12);
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        List<ResultStore.TrialRow> rows = store.readTrialRows(new PrintStream(warnings, true, StandardCharsets.UTF_8));
        assertEquals(1, rows.size());
        assertEquals("", warnings.toString(StandardCharsets.UTF_8));
        try (Stream<Path> files = Stream.concat(Files.list(dir.resolve("trials")), Files.list(dir.resolve("epochs")))) {
            assertEquals(List.of("epochs/" + id + ".parquet", "trials/" + id + ".parquet"),
                    files.map(p -> p.getParent().getFileName() + "/" + p.getFileName()).sorted().toList(),
                    "no temporary file is left behind");
        }
    }

    private static void count(boolean miss, AtomicInteger misses) {
        if (miss) {
            misses.incrementAndGet();
        }
    }

    private static boolean has(ResultStore store, String id) {
        try {
            return store.has(id);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static java.util.Set<String> finished(ResultStore store) {
        try {
            return store.finished();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The row, or null where the file was missing; any other failure to read it fails the test. */
    private static ResultStore.TrialRow readRow(ResultStore store, String id) {
        try {
            return store.readTrialRow(id);
        } catch (java.io.FileNotFoundException e) {
            return null;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
