package io.gnsweep.report;

import java.util.List;

/** Writes a {@link Table} as GitHub-flavoured Markdown or as CSV (RFC 4180 quoting). */
public final class TableWriter {

  private TableWriter() {}

  /** A Markdown section: heading, note, then the table (or "(no rows)"). */
  public static String markdown(Table t) {
    StringBuilder sb = new StringBuilder();
    sb.append("## ").append(t.title()).append("\n\n");
    if (!t.note().isEmpty()) {
      sb.append(t.note()).append("\n\n");
    }
    if (t.rows().isEmpty()) {
      return sb.append("(no rows)\n").toString();
    }
    row(sb, t.header());
    sb.append('|');
    for (int i = 0; i < t.header().size(); i++) {
      sb.append(" --- |");
    }
    sb.append('\n');
    for (List<String> r : t.rows()) {
      row(sb, r);
    }
    return sb.toString();
  }

  /** The table as CSV, header first, with a final newline. */
  public static String csv(Table t) {
    StringBuilder sb = new StringBuilder();
    csvRow(sb, t.header());
    for (List<String> r : t.rows()) {
      csvRow(sb, r);
    }
    return sb.toString();
  }

  private static void row(StringBuilder sb, List<String> cells) {
    sb.append('|');
    for (String c : cells) {
      sb.append(' ').append(c.replace("|", "\\|").replace("\n", " ")).append(" |");
    }
    sb.append('\n');
  }

  private static void csvRow(StringBuilder sb, List<String> cells) {
    for (int i = 0; i < cells.size(); i++) {
      String c = cells.get(i);
      if (i > 0) {
        sb.append(',');
      }
      if (c.contains(",") || c.contains("\"") || c.contains("\n") || c.contains("\r")) {
        sb.append('"').append(c.replace("\"", "\"\"")).append('"');
      } else {
        sb.append(c);
      }
    }
    sb.append('\n');
  }
}
