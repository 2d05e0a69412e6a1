package io.gnsweep.report;

import java.util.ArrayList;
import java.util.List;

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
      "usage: report RESULTS_DIR [RESULTS_DIR ...] [--out DIR] [--master URL]";

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
    List<String> dirs = new ArrayList<>();
    String out = null;
    String master = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      switch (name) {
        case "--out", "--master" -> {
          if (value == null) {
            if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
              throw new BadInputException("option " + name + " needs a value");
            }
            value = args[++i];
          }
          if (value.isBlank()) {
            throw new BadInputException("option " + name + " needs a non-empty value");
          }
          if (name.equals("--out")) {
            if (out != null) {
              throw new BadInputException("option --out given twice");
            }
            out = value;
          } else {
            if (master != null) {
              throw new BadInputException("option --master given twice");
            }
            master = value;
          }
        }
        default -> {
          if (arg.startsWith("-")) {
            throw new BadInputException("unknown option: " + arg);
          }
          dirs.add(arg);
        }
      }
    }
    if (dirs.isEmpty()) {
      throw new BadInputException("no RESULTS_DIR given");
    }
    return new ReportOptions(List.copyOf(dirs), out, master);
  }
}
