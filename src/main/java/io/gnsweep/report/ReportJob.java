package io.gnsweep.report;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code report} command: reads the trials and epochs tables of one or more sweeps and
 * writes {@code index.html} (self-contained), the charts as PNG and the tables as Markdown and
 * CSV to {@code <first RESULTS_DIR>/report} or {@code --out DIR}; prints the main table
 * (test error by batch size) on stdout. A chart along an axis with one point on it is left out, and
 * the page says so ({@link ChartPlan}).
 *
 * <p>Usage: {@code report RESULTS_DIR [RESULTS_DIR ...] [--out DIR] [--master URL]}
 * ({@link ReportOptions}; {@code --help}, {@code --version}). The Spark
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
   * Runs the command, printing to {@code System.out} and {@code System.err}.
   *
   * @return 0 on success, {@link #BAD_INPUT} for bad input, 1 if writing the report failed
   */
  public static int run(String[] args) {
    return run(args, System.out, System.err);
  }

  /**
   * Runs the command: the main table (and {@code --help}, {@code --version}) on {@code out}, notes
   * and errors on {@code err}.
   *
   * @return 0 on success, {@link #BAD_INPUT} for bad input, 1 if writing the report failed
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    ReportOptions opts;
    try {
      opts = ReportOptions.parse(args, out);
    } catch (BadInputException e) {
      err.println("report: " + e.getMessage());
      return BAD_INPUT;
    }
    if (opts == null) {
      return 0; // --help or --version, answered
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
        err.println("report: " + e.getMessage());
        return BAD_INPUT;
      }
      tables.notes().forEach(n -> err.println("report: note: " + n));
      OutputFolder folder = new OutputFolder(opts.reportDir(),
          spark.sparkContext().hadoopConfiguration());
      RenderedTable main = write(tables, opts, folder, err);
      out.print(TableWriter.markdown(main.shown()));
      err.println("report: written to " + folder);
      return 0;
    } catch (IOException e) {
      err.println("report: cannot write the report to " + opts.reportDir() + ": "
          + e.getMessage());
      return 1;
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  /** Builds every chart and table, writes them and the page; returns the main table. */
  private static RenderedTable write(ResultTables tables, ReportOptions opts, OutputFolder out,
      PrintStream err) throws IOException {
    List<Cell> cells = tables.cells();
    List<TrialRecord> trials = tables.trials();
    List<EpochPoint> curves = tables.epochCurves();
    Optional<Integer> groupBatch = tables.groupComparisonBatchSize();
    ChartPlan plan = ChartPlan.of(cells, groupBatch);
    plan.leftOut().forEach(l -> err.println("report: left out: " + l));
    Charts charts = new Charts();
    List<Object> page = new ArrayList<>();
    List<RenderedTable> files = new ArrayList<>();

    RenderedTable main = ReportTables.byBatchSize(cells);
    if (plan.errorVsBatchSize()) {
      page.add(charts.errorVsBatchSize(cells));
    }
    add(page, files, main);
    add(page, files, ReportTables.gap(cells));
    if (groupBatch.isPresent()) {
      int bs = groupBatch.get();
      if (plan.errorVsGroups()) {
        page.add(charts.errorVsGroups(cells, bs));
      }
      add(page, files, ReportTables.byGroups(cells, bs));
    } else {
      // by_groups.csv always exists, with its header, so scripts can rely on it.
      files.add(ReportTables.byGroups(List.of(), 0));
    }
    page.addAll(charts.epochCurves(curves));
    add(page, files, ReportTables.epochs(curves));
    if (plan.throughput()) {
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
        opts.resultsDirs(), tables.notes(), plan.leftOut(), page));
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
