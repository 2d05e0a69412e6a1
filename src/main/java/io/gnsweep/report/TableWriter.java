package io.gnsweep.report;

import io.gnsweep.tables.Csv;
import java.util.List;

/** Writes a {@link Table} as GitHub-flavoured Markdown or as CSV (RFC 4180 quoting, {@link Csv}). */
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

  /** The table as CSV ({@link Csv}), header first, with a final newline. */
  public static String csv(Table t) {
    StringBuilder sb = new StringBuilder(Csv.line(t.header()));
    t.rows().forEach(r -> sb.append(Csv.line(r)));
    return sb.toString();
  }

  private static void row(StringBuilder sb, List<String> cells) {
    sb.append('|');
    for (String c : cells) {
      sb.append(' ').append(c.replace("|", "\\|").replace("\n", " ")).append(" |");
    }
    sb.append('\n');
  }
}
