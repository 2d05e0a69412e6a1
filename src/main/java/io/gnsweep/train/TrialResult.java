package io.gnsweep.train;

import java.io.Serializable;
import java.time.Instant;
import java.util.List;

/**
 * The outcome of one trial: its status, the error message when it did not complete, the metrics of every
 * epoch that finished, and what it ran on. Final-epoch and best figures are derived from {@code epochs}.
 */
public record TrialResult(TrialSpec spec, TrialStatus status, String error, List<EpochMetrics> epochs,
                          long numParams, Instant startedAt, Instant finishedAt, String device)
        implements Serializable {

    public TrialResult {
        epochs = List.copyOf(epochs);
    }

    private EpochMetrics last() {
        return epochs.isEmpty() ? null : epochs.get(epochs.size() - 1);
    }

    /** Test accuracy after the last finished epoch, or null if none finished. */
    public Double testAccuracy() {
        return last() == null ? null : last().testAccuracy();
    }

    /** Test loss after the last finished epoch, or null. */
    public Double testLoss() {
        return last() == null ? null : last().testLoss();
    }

    /** Train loss of the last finished epoch, or null. */
    public Double trainLoss() {
        return last() == null ? null : last().trainLoss();
    }

    /** Best test accuracy over the finished epochs, or null. */
    public Double bestTestAccuracy() {
        return epochs.stream().mapToDouble(EpochMetrics::testAccuracy).max().stream().boxed().findFirst().orElse(null);
    }

    /** Training time summed over the finished epochs (evaluation excluded). */
    public double trainTimeS() {
        return epochs.stream().mapToDouble(EpochMetrics::epochTimeS).sum();
    }

    /** Images trained per second over the finished epochs, or null. */
    public Double imagesPerS() {
        double time = trainTimeS();
        double images = epochs.stream().mapToDouble(e -> e.imagesPerS() * e.epochTimeS()).sum();
        return time > 0 ? images / time : null;
    }
}
