/**
 * What the user tells gnsweep, read and checked before any work: {@code path=value} overrides over HOCON
 * defaults ({@link io.gnsweep.config.Overrides}), the {@code dataset} block and the training-protocol keys that
 * {@code train} and sweep specs share ({@link io.gnsweep.config.DataSettings},
 * {@link io.gnsweep.config.ProtocolSettings}), the command-line options every command parses the same way
 * ({@link io.gnsweep.config.CommandLines}: picocli), and bad input ({@link io.gnsweep.config.UsageException},
 * exit status 2).
 *
 * <p>Used by the {@code train} command ({@code io.gnsweep.cli}), sweep specs ({@code io.gnsweep.sweep}) and the
 * Spark edges ({@code io.gnsweep.spark}, {@code io.gnsweep.report}). May use Typesafe Config, picocli, the value
 * types its settings become (data, optim, train) and the build's provenance (runtime); no Spark, and it never
 * imports the commands that use it.
 */
package io.gnsweep.config;
