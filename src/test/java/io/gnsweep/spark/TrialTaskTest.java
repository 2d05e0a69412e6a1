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
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a task does when its trial already has a row: whose row it is decides, not when it was written. */
class TrialTaskTest {
    @TempDir
    Path dir;

    private static final TrialSpec SPEC = new TrialSpec("fashion-mnist", "/data", 256, 128, Model.SMALL_CNN, 0.25,
            NormKind.GROUP, 2, 16, 0.002, 1, 1);

    private final LongAccumulator done = new LongAccumulator();
    private final LongAccumulator failed = new LongAccumulator();
    private final LongAccumulator diverged = new LongAccumulator();

    private TrialTask task(ResultStore store, String runId) {
        // no data where it points: a task that trains writes a FAILED row ("data: ...") without training
        DataSource missing = new DataSource("fashion-mnist", dir.resolve("no-data").toUri().toString());
        return new TrialTask(store, missing, "tiny", "sweep-1", "3.5.1", null, runId, false, done, failed, diverged);
    }

    /**
     * Both runs start, then run A writes the trial (its attempt 0 died after writing): A's retry keeps that row and
     * counts it; B (another start of the same sweep, e.g. redoing failed trials) trains it again although the row
     * is newer than B's start, which a file-time rule would take for B's own. Object stores give file times to the
     * second, so such a rule also redid a retried trial written within the second its run started.
     */
    @Test
    void aRetryKeepsItsRunsRowAndAnotherRunRedoesTheTrial() throws Exception {
        ResultStore store = new ResultStore(ResultStore.qualify(dir.resolve("out").toString()));
        String id = SPEC.trialId();
        TrialTask runA = task(store, "run-A");
        TrialTask runB = task(store, "run-B");
        store.write(new TrialResult(SPEC, TrialStatus.COMPLETE, null,
                List.of(new EpochMetrics(1, 1.5, 1.2, 0.75, 2.0, 128.0)), 1234, Instant.EPOCH,
                Instant.EPOCH.plusSeconds(2), "cpu"), new ResultStore.Context("tiny", "sweep-1", "run-A", 0, "0",
                "localhost", new Provenance("0", null, "1.0.0-M2.1", "CPU", "3.5.1", "17", "Linux", "amd64")));

        runA.run(SPEC);
        ResultStore.TrialRow kept = store.readTrialRow(id);
        assertEquals("run-A", kept.runId());
        assertEquals(0.75, kept.testAccuracy());
        assertEquals(1, done.value(), "the retry counts the trial its first attempt wrote");
        assertEquals(0, failed.value());

        runB.run(SPEC);
        ResultStore.TrialRow redone = store.readTrialRow(id);
        assertEquals("run-B", redone.runId());
        assertEquals("FAILED", redone.status());
        assertTrue(redone.error().startsWith("data: "), redone.error());
        assertEquals(2, done.value());
        assertEquals(1, failed.value());
        assertEquals(List.of(id), List.copyOf(store.finished()), "still one row for the trial");
    }
}
