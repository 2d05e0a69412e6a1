/**
 * The Spark edge: the sweep job ({@link io.gnsweep.spark.SweepJob}) that fans trials out as Spark tasks,
 * ships the dataset to executors, writes each trial's result durably as Parquet the moment it ends, and
 * resumes. The only package (with {@code io.gnsweep.report}) that may use Spark and Hadoop APIs. The tables' column
 * names are {@code io.gnsweep.tables}'s, shared with the report; the command line is read with
 * {@code io.gnsweep.config}.
 */
package io.gnsweep.spark;
