package io.gnsweep.report;

import java.util.List;

/**
 * A rendered table: text cells ready for Markdown, CSV and HTML. Empty string = no value.
 *
 * @param name file base name, e.g. {@code by_batch_size}
 * @param title heading shown above the table
 * @param note one sentence under the heading (how to read it), may be empty
 * @param header column names
 * @param rows cell text, each row as long as the header
 */
public record Table(
    String name, String title, String note, List<String> header, List<List<String>> rows) {

  /** Checks every row has one cell per column. */
  public Table {
    header = List.copyOf(header);
    rows = rows.stream().map(List::copyOf).toList();
    for (List<String> row : rows) {
      if (row.size() != header.size()) {
        throw new IllegalArgumentException(
            name + ": row has " + row.size() + " cells, header " + header.size());
      }
    }
  }
}
