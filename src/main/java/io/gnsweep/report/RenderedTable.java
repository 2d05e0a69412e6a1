package io.gnsweep.report;

/**
 * One report table in its two forms: {@code data} for the CSV file (full precision, machine
 * names) and {@code shown} for Markdown and the HTML page (rounded, readable headings).
 *
 * @param data written as {@code <name>.csv}
 * @param shown written as {@code <name>.md} and shown on the page
 * @param inPage whether the HTML page shows it (long tables drawn as charts are files only)
 */
public record RenderedTable(Table data, Table shown, boolean inPage) {}
