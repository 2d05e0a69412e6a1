/**
 * The sweep report: reads the {@code trials} and {@code epochs} Parquet tables that a sweep
 * writes under its results folder, aggregates them over seeds and renders one self-contained
 * HTML page, PNG charts and Markdown/CSV tables.
 *
 * <p>Owns: reading results tables ({@link io.gnsweep.report.ResultTables}), aggregation over
 * seeds (mean, sample standard deviation, n; COMPLETE trials only, the others counted and
 * listed), chart rendering ({@link io.gnsweep.report.Charts}, XChart), page and table rendering
 * ({@link io.gnsweep.report.HtmlPage}, {@link io.gnsweep.report.TableWriter}) and the
 * {@code report} command line ({@link io.gnsweep.report.ReportJob}).
 *
 * <p>May use Spark (DataFrame API, for reading and aggregating), Hadoop's FileSystem (to read
 * and write any folder or URI Spark reads), XChart, picocli (through {@code io.gnsweep.config})
 * and the tables' column names and CSV form ({@code io.gnsweep.tables}). Must not use DL4J or
 * ND4J, nor the sweep job ({@code io.gnsweep.spark}): a report is made from the tables alone, on
 * a machine without the training stack's native libraries.
 */
package io.gnsweep.report;
