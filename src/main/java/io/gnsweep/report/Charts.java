package io.gnsweep.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.Objects;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's charts, drawn with XChart as PNG ({@value #WIDTH}×{@value #HEIGHT}). Needs
 * {@code -Djava.awt.headless=true} where there is no display. Error bars are ± one sample std
 * over seeds and are drawn only for cells with n ≥ 2. Each configuration keeps one colour
 * across all charts of a report. Batch sizes and group counts sit on category axes (equally
 * spaced), which for powers of two is a log2 axis; XChart's own log axis only ticks decades.
 */
public final class Charts {

  /** Chart width in pixels. */
  public static final int WIDTH = 900;
  /** Chart height in pixels. */
  public static final int HEIGHT = 560;

  private static final Color[] PALETTE = {
      new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
      new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf),
      new Color(0xbcbd22), new Color(0x7f7f7f), new Color(0x393b79), new Color(0xad494a)};

  private final Map<String, Color> colours = new HashMap<>();

  /** Test error vs batch size, one line per configuration (Wu &amp; He, Figure 1 / 5). */
  public ChartImage errorVsBatchSize(List<Cell> cells) {
    List<Integer> sizes = batchSizes(cells);
    CategoryChart chart = categoryChart("Test error vs batch size", batchAxisTitle(sizes),
        "Test error (%)");
    for (Map.Entry<String, List<Cell>> e : byLabel(cells).entrySet()) {
      Map<String, Cell> at = new HashMap<>();
      e.getValue().forEach(c -> at.put(String.valueOf(c.batchSize()), c));
      line(chart, e.getKey(), sizes.stream().map(String::valueOf).toList(), at,
          Cell::meanTestErrorPct, true);
    }
    return png(chart, "error_vs_batch_size.png",
        "Mean over seeds; error bars ± 1 sample std (none where n = 1); a gap in a line is a "
            + "batch size without a COMPLETE trial of that configuration.");
  }

  /** Test error vs group count at one batch size; LN plotted at G = 1, IN at G = C. */
  public ChartImage errorVsGroups(List<Cell> cells, int batchSize) {
    List<Cell> axis = cells.stream().filter(c -> c.batchSize() == batchSize)
        .filter(c -> List.of("group", "layer", "instance").contains(c.norm()))
        .sorted(ReportTables.GROUP_AXIS_ORDER).toList();
    List<String> labels = axis.stream().map(ReportTables::groupAxisLabel).toList();
    CategoryChart chart = categoryChart(
        "Test error vs number of groups (batch size " + batchSize + ")",
        "Groups G (1 = LayerNorm, C = InstanceNorm; categories, not to scale)",
        "Test error (%)");
    Map<String, Map<String, Cell>> series = new LinkedHashMap<>();
    for (Cell c : axis) {
      series.computeIfAbsent(c.norm().equals("group")
          ? "GroupNorm" + (c.variant().isEmpty() ? "" : ", " + c.variant()) : c.label(),
          k -> new HashMap<>()).put(ReportTables.groupAxisLabel(c), c);
    }
    series.forEach((label, at) -> line(chart, label, labels, at, Cell::meanTestErrorPct, true));
    cells.stream().filter(c -> c.norm().equals("batch") && c.batchSize() == batchSize
        && c.meanTestErrorPct() != null).findFirst().ifPresent(bn -> {
          List<Double> flat = labels.stream().map(l -> bn.meanTestErrorPct()).toList();
          CategorySeries s = chart.addSeries("BatchNorm, same batch size", labels, flat);
          s.setMarker(SeriesMarkers.NONE);
          s.setLineColor(colour(bn.label()));
          s.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
              10f, new float[] {8f, 6f}, 0f));
        });
    return png(chart, "error_vs_groups.png",
        "G = 1 is LayerNorm, G = C (one group per channel) is InstanceNorm; the dashed line is"
            + " BatchNorm at the same batch size, where it was run. Error bars ± 1 sample std.");
  }

  /** Images per second vs batch size, one line per configuration. */
  public ChartImage throughput(List<Cell> cells) {
    List<Integer> sizes = batchSizes(cells);
    CategoryChart chart = categoryChart("Training throughput vs batch size",
        batchAxisTitle(sizes), "Throughput (images/s)");
    for (Map.Entry<String, List<Cell>> e : byLabel(cells).entrySet()) {
      Map<String, Cell> at = new HashMap<>();
      e.getValue().forEach(c -> at.put(String.valueOf(c.batchSize()), c));
      line(chart, e.getKey(), sizes.stream().map(String::valueOf).toList(), at,
          Cell::meanImagesPerS, false);
    }
    return png(chart, "throughput.png", "Mean images/s over COMPLETE trials.");
  }

  /** Per-epoch test error and train loss, one pair of charts per batch size. */
  public List<ChartImage> epochCurves(List<EpochPoint> points) {
    List<ChartImage> out = new ArrayList<>();
    for (int bs : new TreeSet<>(points.stream().map(EpochPoint::batchSize).toList())) {
      List<EpochPoint> at = points.stream().filter(p -> p.batchSize() == bs).toList();
      out.add(epochChart(at, "Test error per epoch (batch size " + bs + ")", "Test error (%)",
          "test_error_per_epoch_bs" + bs + ".png",
          p -> p.meanTestAccuracy() == null ? Double.NaN : 100 * (1 - p.meanTestAccuracy())));
      out.add(epochChart(at, "Training loss per epoch (batch size " + bs + ")",
          "Training loss (cross-entropy)", "train_loss_per_epoch_bs" + bs + ".png",
          p -> p.meanTrainLoss() == null ? Double.NaN : p.meanTrainLoss()));
    }
    return out;
  }

  private ChartImage epochChart(List<EpochPoint> points, String title, String yTitle,
      String file, ToDoubleFunction<EpochPoint> y) {
    XYChart chart = chart(title, "Epoch", yTitle);
    chart.getStyler().setXAxisTickLabelsFormattingFunction(
        x -> Math.abs(x - Math.rint(x)) < 1e-6 ? String.valueOf(Math.round(x))
            : String.format(java.util.Locale.ROOT, "%.1f", x)); // XChart drops all on ""
    Map<String, List<EpochPoint>> series = new LinkedHashMap<>();
    points.stream()
        .sorted(java.util.Comparator.comparing(EpochPoint::variant)
            .thenComparing((EpochPoint p) -> Cell.normRank(p.norm()))
            .thenComparing(EpochPoint::groups, java.util.Comparator.nullsFirst(Integer::compare))
            .thenComparing(EpochPoint::epoch))
        .forEach(p -> series.computeIfAbsent(Cell.label(p.norm(), p.groups(), p.variant()),
            k -> new ArrayList<>()).add(p));
    for (Map.Entry<String, List<EpochPoint>> e : series.entrySet()) {
      List<EpochPoint> ps = e.getValue().stream().filter(p -> !Double.isNaN(y.applyAsDouble(p)))
          .toList();
      if (!ps.isEmpty()) {
        plain(chart, e.getKey(), ps, p -> p.epoch(), y);
      }
    }
    return png(chart, file, "Mean over the COMPLETE trials (seeds) of each configuration.");
  }

  /**
   * One configuration on a category axis: a line with markers (broken where it has no value)
   * and, when {@code withStd}, error bars of ± 1 sample std where n ≥ 2.
   */
  private void line(CategoryChart chart, String label, List<String> categories,
      Map<String, Cell> at, Function<Cell, Double> y, boolean withStd) {
    List<Double> ys = new ArrayList<>();
    List<Double> errs = new ArrayList<>();
    for (String cat : categories) {
      Cell c = at.get(cat);
      ys.add(c == null ? null : y.apply(c));
      errs.add(c == null || y.apply(c) == null ? null : c.stdTestErrorPct());
    }
    if (ys.stream().allMatch(Objects::isNull)) {
      return;
    }
    for (int i = 0; i < ys.size(); i++) {
      if (ys.get(i) != null) {
        double e = withStd && errs.get(i) != null ? errs.get(i) : 0;
        widenY(chart, ys.get(i) - e, ys.get(i) + e);
      }
    }
    boolean bars = withStd && errs.stream().anyMatch(Objects::nonNull);
    CategorySeries s = bars ? chart.addSeries(label, categories, ys, errs)
        : chart.addSeries(label, categories, ys);
    Color c = colour(label);
    s.setMarker(SeriesMarkers.CIRCLE);
    s.setMarkerColor(c);
    s.setLineColor(c);
    s.setLineStyle(new BasicStroke(2.2f));
  }

  /**
   * Widens the y range to hold [lo, hi] plus a margin. XChart's own range leaves out points
   * without an error bar in a series that has error bars (they were drawn above the plot).
   */
  private static void widenY(CategoryChart chart, double lo, double hi) {
    CategoryStyler st = chart.getStyler();
    double min = st.getYAxisMin() == null ? Double.POSITIVE_INFINITY : st.getYAxisMin();
    double max = st.getYAxisMax() == null ? Double.NEGATIVE_INFINITY : st.getYAxisMax();
    double pad = Math.max(0.05 * Math.max(hi - lo, max - min), 0.1);
    st.setYAxisMin(Math.min(min, lo - pad));
    st.setYAxisMax(Math.max(max, hi + pad));
  }

  private <T> void plain(XYChart chart, String label, List<T> items, ToDoubleFunction<T> x,
      ToDoubleFunction<T> y) {
    XYSeries s = chart.addSeries(label, items.stream().mapToDouble(x).toArray(),
        items.stream().mapToDouble(y).toArray());
    Color c = colour(label);
    s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(c).setLineColor(c)
        .setLineStyle(new BasicStroke(2.2f));
  }

  private Color colour(String label) {
    return colours.computeIfAbsent(label, k -> PALETTE[colours.size() % PALETTE.length]);
  }

  private static XYChart chart(String title, String xTitle, String yTitle) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    style(chart.getStyler());
    return chart;
  }

  private static CategoryChart categoryChart(String title, String xTitle, String yTitle) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    CategoryStyler st = chart.getStyler();
    style(st);
    st.setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
    st.setOverlapped(true); // every series at its category's centre, not side by side
    st.setXAxisTickMarkSpacingHint(30); // else XChart hides every other category label
    return chart;
  }

  /** Fonts, colours and legend shared by every chart. */
  private static void style(AxesChartStyler st) {
    st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
    st.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    st.setLegendPosition(Styler.LegendPosition.OutsideE);
    st.setChartBackgroundColor(Color.WHITE);
    st.setChartTitleBoxVisible(false);
    st.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
    st.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    st.setPlotGridLinesColor(new Color(0xdddddd));
    st.setPlotBackgroundColor(Color.WHITE);
    st.setMarkerSize(9);
    st.setErrorBarsColorSeriesColor(true);
    st.setYAxisDecimalPattern("0.0#");
  }

  private static List<Integer> batchSizes(List<Cell> cells) {
    return new ArrayList<>(new TreeSet<>(cells.stream().map(Cell::batchSize).toList()));
  }

  /** Equally spaced categories are a log2 axis exactly when every batch size is a power of 2. */
  private static String batchAxisTitle(List<Integer> sizes) {
    boolean powers = sizes.stream().allMatch(b -> b > 0 && Integer.bitCount(b) == 1);
    return powers ? "Batch size (images per batch, log2 scale)"
        : "Batch size (images per batch; categories, not to scale)";
  }

  private static Map<String, List<Cell>> byLabel(List<Cell> cells) {
    Map<String, List<Cell>> m = new LinkedHashMap<>();
    cells.stream().sorted(ResultTables.CELL_ORDER)
        .forEach(c -> m.computeIfAbsent(c.label(), k -> new ArrayList<>()).add(c));
    return m;
  }

  private static ChartImage png(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, String file, String caption) {
    try {
      return new ChartImage(file, chart.getTitle(), caption,
          BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot draw " + file, e);
    }
  }
}
