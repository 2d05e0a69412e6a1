package io.gnsweep.report;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code report} command: reads the trials and epochs tables of one or more sweeps and
 * writes {@code index.html} (self-contained), the charts as PNG and the tables as Markdown and
 * CSV to {@code <first RESULTS_DIR>/report} or {@code --out DIR}; prints the main table
 * (test error by batch size) on stdout.
 *
 * <p>Usage: {@code report RESULTS_DIR [RESULTS_DIR ...] [--out DIR] [--master URL]}. The Spark
 * master is {@code --master}, else the one spark-submit set, else {@code local[*]}.
 * Bad input (unknown option, missing folder or trials table) prints one message, writes
 * nothing and returns 2.
 */
public final class ReportJob {

  /** Exit status for bad input. */
  public static final int BAD_INPUT = 2;

  private ReportJob() {}

  /** Runs the command and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the command.
   *
   * @return 0 on success, {@link #BAD_INPUT} for bad input, 1 if writing the report failed
   */
  public static int run(String[] args) {
    ReportOptions opts;
    try {
      opts = ReportOptions.parse(args);
    } catch (BadInputException e) {
      System.err.println("report: " + e.getMessage());
      System.err.println(ReportOptions.USAGE);
      return BAD_INPUT;
    }
    // A session that already runs (a test, a notebook) is used and left running.
    boolean ownSession = SparkSession.getActiveSession().isEmpty()
        && SparkSession.getDefaultSession().isEmpty();
    SparkSession spark = ownSession ? session(opts) : SparkSession.active();
    try {
      ResultTables tables;
      try {
        tables = ResultTables.read(spark, opts.resultsDirs());
      } catch (BadInputException e) {
        System.err.println("report: " + e.getMessage());
        return BAD_INPUT;
      }
      tables.notes().forEach(n -> System.err.println("report: note: " + n));
      OutputFolder out = new OutputFolder(opts.reportDir(),
          spark.sparkContext().hadoopConfiguration());
      RenderedTable main = write(tables, opts, out);
      System.out.print(TableWriter.markdown(main.shown()));
      System.err.println("report: written to " + out);
      return 0;
    } catch (IOException e) {
      System.err.println("report: cannot write the report to " + opts.reportDir() + ": "
          + e.getMessage());
      return 1;
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  /** Builds every chart and table, writes them and the page; returns the main table. */
  private static RenderedTable write(ResultTables tables, ReportOptions opts, OutputFolder out)
      throws IOException {
    List<Cell> cells = tables.cells();
    List<TrialRecord> trials = tables.trials();
    List<EpochPoint> curves = tables.epochCurves();
    Optional<Integer> groupBatch = tables.groupComparisonBatchSize();
    Charts charts = new Charts();
    List<Object> page = new ArrayList<>();
    List<RenderedTable> files = new ArrayList<>();

    RenderedTable main = ReportTables.byBatchSize(cells);
    if (cells.stream().anyMatch(c -> c.meanTestAccuracy() != null)) {
      page.add(charts.errorVsBatchSize(cells));
    }
    add(page, files, main);
    add(page, files, ReportTables.gap(cells));
    if (groupBatch.isPresent()) {
      int bs = groupBatch.get();
      if (cells.stream().anyMatch(c -> c.batchSize() == bs && c.meanTestAccuracy() != null
          && List.of("group", "layer", "instance").contains(c.norm()))) {
        page.add(charts.errorVsGroups(cells, bs));
      }
      add(page, files, ReportTables.byGroups(cells, bs));
    } else {
      // by_groups.csv always exists, with its header, so scripts can rely on it.
      files.add(ReportTables.byGroups(List.of(), 0));
    }
    page.addAll(charts.epochCurves(curves));
    add(page, files, ReportTables.epochs(curves));
    if (cells.stream().anyMatch(c -> c.meanImagesPerS() != null)) {
      page.add(charts.throughput(cells));
    }
    add(page, files, ReportTables.throughput(cells));
    add(page, files, ReportTables.trials(trials, true));
    add(page, files, ReportTables.trials(trials, false));
    Table sweeps = tables.sweeps();
    page.add(sweeps);
    files.add(new RenderedTable(sweeps, sweeps, true));

    StringBuilder md = new StringBuilder("# gnsweep report\n\n");
    for (RenderedTable t : files) {
      out.write(t.data().name() + ".csv", TableWriter.csv(t.data()));
      out.write(t.shown().name() + ".md", TableWriter.markdown(t.shown()));
      md.append(TableWriter.markdown(t.shown())).append('\n');
    }
    out.write("report.md", md.toString());
    for (Object o : page) {
      if (o instanceof ChartImage c) {
        out.write(c.fileName(), c.png());
      }
    }
    out.write("index.html", HtmlPage.render("gnsweep report: normalization sweep",
        opts.resultsDirs(), tables.notes(), page));
    return main;
  }

  private static void add(List<Object> page, List<RenderedTable> files, RenderedTable t) {
    files.add(t);
    if (t.inPage()) {
      page.add(t.shown());
    }
  }

  private static SparkSession session(ReportOptions opts) {
    SparkConf conf = new SparkConf(); // holds what spark-submit passed (spark.* properties)
    if (opts.master() != null) {
      conf.setMaster(opts.master());
    } else if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.setIfMissing("spark.app.name", "gnsweep report");
    return SparkSession.builder().config(conf).getOrCreate();
  }
}
