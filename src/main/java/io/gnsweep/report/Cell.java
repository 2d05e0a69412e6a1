package io.gnsweep.report;

import java.util.List;

/**
 * One configuration (norm kind, group count, batch size) aggregated over its seeds.
 * Statistics come from COMPLETE trials only; {@code nFailed} and {@code nDiverged} count the
 * trials of the cell that were left out. A statistic over no trial, and the standard deviation
 * of a single trial, is {@code null}.
 *
 * @param norm none, batch, group, layer or instance
 * @param groups GroupNorm's group count, {@code null} for other norms
 * @param batchSize images per batch
 * @param n COMPLETE trials with a test accuracy
 * @param nFailed FAILED trials
 * @param nDiverged DIVERGED trials
 * @param meanTestAccuracy mean final test accuracy (fraction 0..1)
 * @param stdTestAccuracy sample standard deviation (n-1) of the final test accuracy
 * @param meanImagesPerS mean training throughput, images/s
 * @param meanTrainTimeS mean training time, s
 * @param variant the other settings that vary across the compared trials ("optimizer=sgd"), or ""
 */
public record Cell(
    String norm,
    Integer groups,
    int batchSize,
    long n,
    long nFailed,
    long nDiverged,
    Double meanTestAccuracy,
    Double stdTestAccuracy,
    Double meanImagesPerS,
    Double meanTrainTimeS,
    String variant) {

  /** The order norms are listed in: no norm, then the paper's BN, GN, LN, IN. */
  static final List<String> NORM_ORDER = List.of("none", "batch", "group", "layer", "instance");

  /** Test error in percent, or null. */
  public Double meanTestErrorPct() {
    return meanTestAccuracy == null ? null : 100.0 * (1.0 - meanTestAccuracy);
  }

  /** Standard deviation of the test error in percentage points, or null. */
  public Double stdTestErrorPct() {
    return stdTestAccuracy == null ? null : 100.0 * stdTestAccuracy;
  }

  /** The configuration without its batch size, e.g. "GroupNorm G=8" or "GroupNorm G=8, wd=1.0E-4". */
  public String label() {
    return label(norm, groups, variant);
  }

  /** {@link #label(String, Integer)} followed by the variant, when there is one. */
  public static String label(String norm, Integer groups, String variant) {
    return label(norm, groups) + (variant == null || variant.isEmpty() ? "" : ", " + variant);
  }

  /** A readable name for a norm kind and group count. */
  public static String label(String norm, Integer groups) {
    return switch (norm) {
      case "none" -> "No norm";
      case "batch" -> "BatchNorm";
      case "group" -> "GroupNorm G=" + groups;
      case "layer" -> "LayerNorm (G=1)";
      case "instance" -> "InstanceNorm (G=C)";
      default -> norm + (groups == null ? "" : " G=" + groups);
    };
  }

  /** Sort key for norm kinds: known kinds in paper order, unknown ones after. */
  static int normRank(String norm) {
    int i = NORM_ORDER.indexOf(norm);
    return i < 0 ? NORM_ORDER.size() : i;
  }
}
