/**
 * Sweep specifications: reading a HOCON spec with {@code path=value} overrides, validating every value
 * before any work, and expanding it on the driver, deterministically, into {@link io.gnsweep.train.TrialSpec}s
 * with stable ids. Knows nothing of Spark; the Spark job lives in {@code io.gnsweep.spark}.
 */
package io.gnsweep.sweep;
