/**
 * The command-line front end ({@link io.gnsweep.cli.FrontEnd}: {@code gnsweep COMMAND ...}) and the
 * {@code train} command, which runs one trial without Spark.
 *
 * <p>The top of the house: it may use every package (the Spark jobs too, to hand them their arguments); nothing
 * imports it. What commands share (overrides, settings, option parsing) lives in {@code io.gnsweep.config}.
 */
package io.gnsweep.cli;
