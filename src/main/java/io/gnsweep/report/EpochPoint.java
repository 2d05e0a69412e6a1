package io.gnsweep.report;

/**
 * One epoch of one configuration, averaged over its COMPLETE trials (seeds).
 *
 * @param norm norm kind
 * @param groups group count, {@code null} unless norm is group
 * @param batchSize images per batch
 * @param epoch 1-based epoch
 * @param n trials averaged
 * @param meanTestAccuracy mean test accuracy after this epoch (fraction)
 * @param meanTrainLoss mean training loss of this epoch
 * @param variant the other settings that vary across the compared trials, or ""
 */
public record EpochPoint(
    String norm,
    Integer groups,
    int batchSize,
    int epoch,
    long n,
    Double meanTestAccuracy,
    Double meanTrainLoss,
    String variant) {}
