/**
 * Command-line front end: {@code key=value} overrides over HOCON defaults, usage errors (exit status 2),
 * and the {@code train} command, which runs one trial without Spark.
 */
package io.gnsweep.cli;
