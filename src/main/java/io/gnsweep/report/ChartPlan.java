package io.gnsweep.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Which of the charts drawn from cells the page shows. A chart along an axis needs two points on it: with one
 * batch size among the COMPLETE trials the two batch-size charts are left out, and with one group count at the
 * group comparison's batch size (LayerNorm counting as G = 1, InstanceNorm as G = C) the group chart is; each
 * chart left out is named in one line that says why. A chart with no point at all is left out silently: the
 * tables under it say that no trial completed.
 *
 * @param errorVsBatchSize whether to draw test error vs batch size
 * @param throughput whether to draw throughput vs batch size
 * @param errorVsGroups whether to draw test error vs group count
 * @param leftOut one line for each chart left out for having a single point
 */
record ChartPlan(boolean errorVsBatchSize, boolean throughput, boolean errorVsGroups,
    List<String> leftOut) {

  /** The plan for these cells; {@code groupBatch}: the group comparison's batch size, if any. */
  static ChartPlan of(List<Cell> cells, Optional<Integer> groupBatch) {
    List<String> leftOut = new ArrayList<>();
    boolean errorVsBatchSize = alongBatchSize(cells, c -> c.meanTestAccuracy() != null,
        "Test error vs batch size", leftOut);
    boolean throughput = alongBatchSize(cells, c -> c.meanImagesPerS() != null,
        "Training throughput vs batch size", leftOut);
    boolean errorVsGroups = false;
    if (groupBatch.isPresent()) {
      int bs = groupBatch.get();
      TreeSet<String> counts = new TreeSet<>();
      cells.stream().filter(c -> c.batchSize() == bs && c.meanTestAccuracy() != null)
          .filter(c -> List.of("group", "layer", "instance").contains(c.norm()))
          .forEach(c -> counts.add(groupCount(c)));
      errorVsGroups = counts.size() > 1;
      if (counts.size() == 1) {
        leftOut.add("Test error vs number of groups: not drawn, the COMPLETE trials at batch size " + bs
            + " hold one group count, G = " + counts.first() + " (LayerNorm counts as G = 1, "
            + "InstanceNorm as G = C); the group-count table has its figures.");
      }
    }
    return new ChartPlan(errorVsBatchSize, throughput, errorVsGroups, List.copyOf(leftOut));
  }

  private static boolean alongBatchSize(List<Cell> cells, Predicate<Cell> plotted, String chart,
      List<String> leftOut) {
    TreeSet<Integer> sizes = new TreeSet<>();
    cells.stream().filter(plotted).forEach(c -> sizes.add(c.batchSize()));
    if (sizes.size() == 1) {
      leftOut.add(chart + ": not drawn, every COMPLETE trial has batch size " + sizes.first()
          + "; the tables have its figures.");
    }
    return sizes.size() > 1;
  }

  /** A cell's place on the group-count axis: LayerNorm is G = 1, InstanceNorm G = C. */
  private static String groupCount(Cell c) {
    return switch (c.norm()) {
      case "layer" -> "1";
      case "instance" -> "C";
      default -> String.valueOf(c.groups());
    };
  }
}
