/**
 * The shape of what gnsweep writes for others to read: the result tables' column names
 * ({@link io.gnsweep.tables.ResultColumns}) and CSV ({@link io.gnsweep.tables.Csv}, the form of the report's
 * tables and of the benchmark's figures).
 *
 * <p>Shared by the two Spark edges, the sweep job ({@code io.gnsweep.spark}) and the report
 * ({@code io.gnsweep.report}), which do not use each other, and by the benchmarks. Plain Java: it uses no other
 * package of gnsweep and no library, so either edge may use it without taking in the other's.
 */
package io.gnsweep.tables;
