package io.gnsweep.train;

import java.io.Serializable;

/**
 * Metrics of one epoch. {@code trainLoss} is the mean mini-batch loss over the epoch; {@code testLoss} and
 * {@code testAccuracy} (a fraction) are measured on the whole test set after the epoch; {@code epochTimeS}
 * is the training time of the epoch (evaluation excluded) and {@code imagesPerS} the training throughput.
 */
public record EpochMetrics(int epoch, double trainLoss, double testLoss, double testAccuracy,
                           double epochTimeS, double imagesPerS) implements Serializable {}
