package io.gnsweep.spark;

import io.gnsweep.runtime.GpuCheck;
import io.gnsweep.runtime.NativeSetup;
import io.gnsweep.runtime.Provenance;
import io.gnsweep.train.TrialResult;
import io.gnsweep.train.TrialSpec;
import io.gnsweep.train.TrialStatus;
import io.gnsweep.train.Trainer;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one Spark task does: bind the native threads to the task's CPUs, load the data (once per executor),
 * train the trial, and make its result durable before the task ends. A result that this run already wrote
 * (the task is a retry or a speculative copy) is not trained again.
 *
 * <p>Fault injection for tests, off unless these Spark conf keys are set (each a regex over trial ids):
 * {@code spark.gnsweep.test.failTrials} (the trial throws inside training: a FAILED row),
 * {@code spark.gnsweep.test.crashBeforeWrite} / {@code crashAfterWrite} (attempt 0 of the task throws
 * before / after writing its result, so Spark re-runs it).
 */
final class TrialTask implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TrialTask.class);

    private final ResultStore store;
    private final DataSource data;
    private final String sweepName;
    private final String sweepId;
    private final String sparkVersion;
    private final String gitCommit;
    private final String runId;
    private final boolean cpuFallback;
    private final LongAccumulator done;
    private final LongAccumulator failed;
    private final LongAccumulator diverged;

    TrialTask(ResultStore store, DataSource data, String sweepName, String sweepId, String sparkVersion,
              String gitCommit, String runId, boolean cpuFallback, LongAccumulator done,
              LongAccumulator failed, LongAccumulator diverged) {
        this.cpuFallback = cpuFallback;
        this.store = store;
        this.data = data;
        this.sweepName = sweepName;
        this.sweepId = sweepId;
        this.sparkVersion = sparkVersion;
        this.gitCommit = gitCommit;
        this.runId = runId;
        this.done = done;
        this.failed = failed;
        this.diverged = diverged;
    }

    void run(TrialSpec spec) throws IOException {
        TaskContext task = TaskContext.get();
        int attempt = task == null ? 0 : task.attemptNumber();
        String id = spec.trialId();
        ResultStore.TrialRow written = writtenByThisRun(id);
        if (written != null) {
            LOG.info("trial {}: result already written by this run (attempt {} skipped)", id, attempt);
            // The attempt that wrote it died before Spark took its accumulator updates (a lost executor, a crash
            // after the write): Spark applies the updates of one successful attempt per task, so this one counts
            // the trial, or the progress line ends short ("7/8 trials done" with all 8 written).
            count(written.status());
            return;
        }
        String gpu = gpuAddress(task);
        String device = "cpu";
        String gpuProblem = null;
        if (gpu != null) {
            // checked before ND4J touches the device: an unsupported GPU must fail fast, not hang or crash
            gpuProblem = GpuCheck.problem(gpu);
            if (gpuProblem == null) {
                GpuCheck.bind(gpu);
                device = "gpu:" + gpu;
            } else if (cpuFallback) {
                device = "cpu (fallback from gpu:" + gpu + ")";
                LOG.warn("trial {}: running on the CPU: {}", id, gpuProblem);
                gpuProblem = null;
            } else {
                device = "gpu:" + gpu;
            }
        }
        NativeSetup.init();
        NativeSetup.bindThreads(task == null ? 1 : task.cpus());
        TrialResult result = gpuProblem != null
                ? new TrialResult(spec, TrialStatus.FAILED, gpuProblem, List.of(), 0, Instant.now(), Instant.now(), device)
                : train(spec, device);
        crashIfAsked("spark.gnsweep.test.crashBeforeWrite", id, attempt);
        String executor = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
        store.write(result, new ResultStore.Context(sweepName, sweepId, runId, attempt, executor, hostName(),
                Provenance.here(sparkVersion, gitCommit)));
        LOG.info("trial {}: {}{}", id, result.status(), result.error() == null ? "" : " (" + result.error() + ")");
        crashIfAsked("spark.gnsweep.test.crashAfterWrite", id, attempt);
        count(result.status().name());
        // The finished network's ND4J arrays are freed when the GC collects them, and a heap that sees mostly
        // native allocation rarely runs a full collection: one per trial (minutes apart) returns that memory and
        // lets the heap shrink, so an executor running trial after trial keeps a steady footprint.
        System.gc();
    }

    /** Adds a finished trial to the driver's progress counters. */
    private void count(String status) {
        done.add(1);
        if (TrialStatus.FAILED.name().equals(status)) {
            failed.add(1);
        } else if (TrialStatus.DIVERGED.name().equals(status)) {
            diverged.add(1);
        }
    }

    /** Loads the data (once per executor) and trains; a data problem becomes a FAILED result. */
    private TrialResult train(TrialSpec spec, String device) {
        String id = spec.trialId();
        Pattern fail = pattern("spark.gnsweep.test.failTrials");
        try {
            var loaded = data.load(spec.trainLimit(), spec.testLimit());
            return Trainer.run(spec, loaded, device, m -> {
                LOG.info(String.format(Locale.ROOT, "trial %s epoch %d/%d: test accuracy %.2f%%, %.0f images/s",
                        id, m.epoch(), spec.epochs(), 100 * m.testAccuracy(), m.imagesPerS()));
                if (fail != null && fail.matcher(id).matches()) {
                    throw new IllegalStateException("injected failure (spark.gnsweep.test.failTrials)");
                }
            });
        } catch (IOException | RuntimeException e) {
            return new TrialResult(spec, TrialStatus.FAILED, "data: " + e.getMessage(), List.of(), 0,
                    Instant.now(), Instant.now(), device);
        }
    }

    /** The GPU address Spark assigned this task (resource "gpu"), or null. */
    private static String gpuAddress(TaskContext task) {
        if (task == null) {
            return null;
        }
        var gpu = task.resourcesJMap().get("gpu");
        return gpu == null || gpu.addresses().length == 0 ? null : gpu.addresses()[0];
    }

    /**
     * The trial's row if an earlier attempt in this run wrote it (its run_id is this run's), else null: a row of an
     * earlier run is one this run was asked to redo (a failed trial with --rerun-failed). Told by the id and not by
     * the file's time, which object stores give to the second. A row that cannot be read (being replaced at this
     * moment, or damaged) counts as not written: training again replaces it, still one file.
     */
    private ResultStore.TrialRow writtenByThisRun(String id) {
        try {
            if (!store.has(id)) {
                return null;
            }
            ResultStore.TrialRow row = store.readTrialRow(id);
            return row != null && runId.equals(row.runId()) ? row : null;
        } catch (IOException e) {
            LOG.warn("trial {}: could not read its existing row ({}); training it", id, e.toString());
            return null;
        }
    }

    private static Pattern pattern(String key) {
        String value = SparkEnv.get() == null ? null : SparkEnv.get().conf().get(key, null);
        return value == null || value.isEmpty() ? null : Pattern.compile(value);
    }

    private static void crashIfAsked(String key, String id, int attempt) {
        Pattern p = pattern(key);
        if (p != null && attempt == 0 && p.matcher(id).matches()) {
            throw new IllegalStateException("injected task crash (" + key + ") in trial " + id);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
