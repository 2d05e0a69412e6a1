package io.gnsweep.report;

import io.gnsweep.config.CommandLines;
import io.gnsweep.config.UsageException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code report} command line: {@code RESULTS_DIR [RESULTS_DIR ...] [--out DIR] [--master URL]}.
 *
 * @param resultsDirs one or more results folders (any path or URI Spark reads), in the given order
 * @param outDir where the report goes; {@code null} means {@code <first RESULTS_DIR>/report}
 * @param master Spark master URL from {@code --master}; {@code null} means the one spark-submit
 *     set, else {@code local[*]}
 */
public record ReportOptions(List<String> resultsDirs, String outDir, String master) {

  /** One line that says how to call the command. */
  public static final String USAGE =
      "usage: report RESULTS_DIR [RESULTS_DIR ...] [--out DIR] [--master URL] [--help] [--version]";

  /** The folder the report is written to. */
  public String reportDir() {
    if (outDir != null) {
      return outDir;
    }
    String first = resultsDirs.get(0);
    return (first.endsWith("/") ? first : first + "/") + "report";
  }

  /**
   * Parses the arguments; accepts {@code --out DIR} and {@code --out=DIR} (same for --master).
   *
   * @throws BadInputException for an unknown option, an option without its value, a repeated
   *     option or no results folder at all
   */
  public static ReportOptions parse(String[] args) throws BadInputException {
    return parse(args, System.out);
  }

  /**
   * As {@link #parse(String[])}, but null when the arguments asked for {@code --help} or
   * {@code --version}, which are answered on {@code out}.
   */
  static ReportOptions parse(String[] args, PrintStream out) throws BadInputException {
    Line line = new Line();
    try {
      if (CommandLines.answeredHelp(line, args, out, null)) {
        return null;
      }
    } catch (UsageException e) {
      throw new BadInputException(e.getMessage());
    }
    if (line.dirs.isEmpty()) {
      throw new BadInputException("no RESULTS_DIR given (see gnsweep report --help)");
    }
    return new ReportOptions(List.copyOf(line.dirs), line.out, line.master);
  }

  /** The annotated form picocli fills in. */
  @Command(name = "gnsweep report", mixinStandardHelpOptions = true,
      versionProvider = CommandLines.Version.class,
      description = "Compares sweeps from their Parquet tables: an HTML page, PNG charts, CSV and "
          + "Markdown tables (jobs/report.sh launches it through spark-submit).")
  private static final class Line {
    @Parameters(paramLabel = "RESULTS_DIR", description = "a sweep's results folder (any path or "
        + "URI Spark reads); several are compared on one page")
    List<String> dirs = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR",
        description = "where the report goes (default: the first RESULTS_DIR/report)")
    String out;

    @Option(names = "--master", paramLabel = "URL",
        description = "Spark master (default: the one spark-submit set, else local[*])")
    String master;
  }
}
