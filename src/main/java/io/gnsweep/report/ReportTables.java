package io.gnsweep.report;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Turns aggregated cells, epoch curves and trials into the report's tables. Test error is
 * reported in percent (100 × (1 − accuracy)), as Wu &amp; He do; the CSVs also keep accuracy.
 */
public final class ReportTables {

  private ReportTables() {}

  /** The main table: every configuration at every batch size ({@code by_batch_size}). */
  public static RenderedTable byBatchSize(List<Cell> cells) {
    return cellTable("by_batch_size", "Test error by batch size",
        "Mean ± sample std over seeds, COMPLETE trials only; n = trials averaged; failed and "
            + "diverged trials of the cell are counted, not averaged.", cells, false);
  }

  /** The group-count comparison at one batch size ({@code by_groups}); G=1 is LN, G=C is IN. */
  public static RenderedTable byGroups(List<Cell> cells, int batchSize) {
    List<Cell> chosen = cells.stream()
        .filter(c -> c.batchSize() == batchSize)
        .filter(c -> List.of("group", "layer", "instance").contains(c.norm()))
        .sorted(GROUP_AXIS_ORDER).toList();
    return cellTable("by_groups", "Test error by group count at batch size " + batchSize,
        "The most common batch size among group/layer/instance trials. LayerNorm is G = 1, "
            + "InstanceNorm is G = C (one group per channel).", chosen, true);
  }

  /** Position of a cell on the group-count axis: LN (G=1) first, GN by G, IN (G=C) last. */
  static final java.util.Comparator<Cell> GROUP_AXIS_ORDER = java.util.Comparator
      .comparingInt((Cell c) -> switch (c.norm()) {
        case "layer" -> 0;
        case "group" -> 1;
        default -> 2;
      })
      .thenComparing(Cell::groups, java.util.Comparator.nullsFirst(Integer::compare));

  /** Label of a cell on the group-count axis. */
  static String groupAxisLabel(Cell c) {
    return switch (c.norm()) {
      case "layer" -> "1 (LN)";
      case "instance" -> "C (IN)";
      default -> String.valueOf(c.groups());
    };
  }

  /** GN − BN test error per batch size and group count, with the combined std. */
  public static RenderedTable gap(List<Cell> cells) {
    // BN and GN are paired at the same batch size and the same other settings (variant)
    Map<String, Cell> bn = new TreeMap<>();
    for (Cell c : cells) {
      if (c.norm().equals("batch") && c.meanTestAccuracy() != null) {
        bn.put(c.variant() + "|" + c.batchSize(), c);
      }
    }
    List<String> dataHeader = List.of("batch_size", "groups", "bn_n", "gn_n",
        "bn_test_error_pct", "gn_test_error_pct", "gap_pct_points", "gap_std_pct_points", "variant");
    List<List<String>> data = new ArrayList<>();
    List<List<String>> shown = new ArrayList<>();
    for (Cell gn : cells) {
      Cell b = bn.get(gn.variant() + "|" + gn.batchSize());
      if (!gn.norm().equals("group") || b == null || gn.meanTestAccuracy() == null) {
        continue;
      }
      double gap = gn.meanTestErrorPct() - b.meanTestErrorPct();
      Double sd = gn.stdTestErrorPct() == null || b.stdTestErrorPct() == null ? null
          : Math.sqrt(sq(gn.stdTestErrorPct()) + sq(b.stdTestErrorPct()));
      data.add(List.of(str(gn.batchSize()), str(gn.groups()), str(b.n()), str(gn.n()),
          str(b.meanTestErrorPct()), str(gn.meanTestErrorPct()), str(gap), str(sd), gn.variant()));
      shown.add(List.of((gn.variant().isEmpty() ? "" : gn.variant() + ": ") + gn.batchSize(),
          str(gn.groups()), pm(b), pm(gn),
          signed(gap) + (sd == null ? "" : " ± " + fmt(sd, 2)), b.n() + " / " + gn.n()));
    }
    String note = "Gap = GN − BN test error in percentage points at the same batch size "
        + "(positive: GroupNorm is worse); ± is the combined std √(s²_GN + s²_BN), empty "
        + "where a side has n = 1.";
    return new RenderedTable(
        new Table("gn_bn_gap", "GN − BN gap", note, dataHeader, data),
        new Table("gn_bn_gap", "GroupNorm − BatchNorm gap", note,
            List.of("Batch size", "G", "BN error %", "GN error %", "Gap (points)",
                "n (BN / GN)"), shown),
        true);
  }

  /** Throughput and training time per configuration. */
  public static RenderedTable throughput(List<Cell> cells) {
    List<List<String>> data = new ArrayList<>();
    List<List<String>> shown = new ArrayList<>();
    for (Cell c : cells) {
      data.add(List.of(c.norm(), str(c.groups()), str(c.batchSize()), str(c.n()),
          str(c.meanImagesPerS()), str(c.meanTrainTimeS()), c.variant()));
      shown.add(List.of(c.label(), str(c.batchSize()), str(c.n()), fmt(c.meanImagesPerS(), 1),
          fmt(c.meanTrainTimeS(), 1)));
    }
    String note = "Means over COMPLETE trials; training time covers all epochs of a trial.";
    return new RenderedTable(
        new Table("throughput", "Throughput", note, List.of("norm", "groups", "batch_size", "n",
            "mean_images_per_s", "mean_train_time_s", "variant"), data),
        new Table("throughput", "Throughput and training time", note,
            List.of("Configuration", "Batch size", "n", "Images/s", "Training time (s)"), shown),
        true);
  }

  /** Per-epoch means, as files only (the page draws them). */
  public static RenderedTable epochs(List<EpochPoint> points) {
    List<List<String>> data = new ArrayList<>();
    List<List<String>> shown = new ArrayList<>();
    for (EpochPoint p : points) {
      data.add(List.of(p.norm(), str(p.groups()), str(p.batchSize()), str(p.epoch()), str(p.n()),
          str(p.meanTestAccuracy()), str(p.meanTrainLoss()), p.variant()));
      shown.add(List.of(Cell.label(p.norm(), p.groups(), p.variant()), str(p.batchSize()), str(p.epoch()),
          str(p.n()), fmt(p.meanTestAccuracy() == null ? null : 100 * p.meanTestAccuracy(), 2),
          fmt(p.meanTrainLoss(), 4)));
    }
    String note = "Means over the COMPLETE trials (seeds) of each configuration.";
    return new RenderedTable(
        new Table("epoch_curves", "Per-epoch curves", note, List.of("norm", "groups",
            "batch_size", "epoch", "n", "mean_test_accuracy", "mean_train_loss", "variant"), data),
        new Table("epoch_curves", "Per-epoch curves", note, List.of("Configuration",
            "Batch size", "Epoch", "n", "Test accuracy %", "Train loss"), shown),
        false);
  }

  /** Every trial with its status; with {@code excludedOnly}, the FAILED/DIVERGED ones. */
  public static RenderedTable trials(Collection<TrialRecord> all, boolean excludedOnly) {
    List<List<String>> data = new ArrayList<>();
    List<List<String>> shown = new ArrayList<>();
    for (TrialRecord t : all) {
      if (excludedOnly && "COMPLETE".equals(t.status())) {
        continue;
      }
      data.add(List.of(str(t.sweepId()), str(t.trialId()), str(t.norm()), str(t.groups()),
          str(t.batchSize()), str(t.seed()), str(t.status()), str(t.testAccuracy()),
          str(t.attempt()), str(t.trainTimeS()), str(t.error()), t.variant()));
      String err = t.error() == null ? "" : t.error().replaceAll("\\s+", " ");
      shown.add(List.of(str(t.trialId()), Cell.label(t.norm(), t.groups(), t.variant()), str(t.batchSize()),
          str(t.seed()), str(t.status()),
          fmt(t.testAccuracy() == null ? null : 100 * (1 - t.testAccuracy()), 2),
          err.length() > 200 ? err.substring(0, 199) + "…" : err));
    }
    String name = excludedOnly ? "excluded_trials" : "trials";
    String title = excludedOnly ? "Failed and diverged trials" : "All trials";
    String note = excludedOnly
        ? (data.isEmpty() ? "None: every trial completed."
            : "Left out of every mean and std above; counted in their cells.")
        : "Every trial read, whatever its status.";
    return new RenderedTable(
        new Table(name, title, note, List.of("sweep_id", "trial_id", "norm", "groups",
            "batch_size", "seed", "status", "test_accuracy", "attempt", "train_time_s", "error",
            "variant"),
            data),
        new Table(name, title, note, List.of("Trial", "Configuration", "Batch size", "Seed",
            "Status", "Test error %", "Error"), shown),
        true);
  }

  private static RenderedTable cellTable(String name, String title, String note,
      List<Cell> cells, boolean groupAxis) {
    List<String> dataHeader = new ArrayList<>(List.of("norm", "groups", "batch_size", "n",
        "mean_test_accuracy", "std_test_accuracy", "n_failed", "n_diverged",
        "mean_test_error_pct", "std_test_error_pct"));
    if (groupAxis) {
      dataHeader.add("g_label");
    }
    dataHeader.add("variant");
    List<List<String>> data = new ArrayList<>();
    List<List<String>> shown = new ArrayList<>();
    for (Cell c : cells) {
      List<String> row = new ArrayList<>(List.of(c.norm(), str(c.groups()), str(c.batchSize()),
          str(c.n()), str(c.meanTestAccuracy()), str(c.stdTestAccuracy()), str(c.nFailed()),
          str(c.nDiverged()), str(c.meanTestErrorPct()), str(c.stdTestErrorPct())));
      if (groupAxis) {
        row.add(groupAxisLabel(c));
      }
      row.add(c.variant());
      data.add(row);
      shown.add(List.of(c.label(), groupAxis ? groupAxisLabel(c) : str(c.groups()),
          str(c.batchSize()), str(c.n()), pm(c), str(c.nFailed()), str(c.nDiverged())));
    }
    return new RenderedTable(new Table(name, title, note, dataHeader, data),
        new Table(name, title, note, List.of("Configuration", "G", "Batch size", "n",
            "Test error % (mean ± std)", "n_failed", "n_diverged"), shown), true);
  }

  /** "12.34 ± 0.56", "12.34" when n = 1, "" when no trial completed. */
  static String pm(Cell c) {
    if (c.meanTestErrorPct() == null) {
      return "";
    }
    String mean = fmt(c.meanTestErrorPct(), 2);
    return c.stdTestErrorPct() == null ? mean : mean + " ± " + fmt(c.stdTestErrorPct(), 2);
  }

  private static String signed(double v) {
    return (v > 0 ? "+" : "") + fmt(v, 2);
  }

  static String fmt(Double v, int decimals) {
    return v == null ? "" : String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  /** Full-precision text for CSV; empty for null. */
  static String str(Object v) {
    return v == null ? "" : Objects.toString(v);
  }

  private static double sq(double v) {
    return v * v;
  }
}
