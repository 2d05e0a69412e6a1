/**
 * Process-level set-up of the native stack: ND4J backend selection, oneDNN, native thread counts, and the
 * provenance of the running JVM. Called once per JVM (driver, executor or test) before any ND4J work.
 * Knows nothing of Spark.
 */
package io.gnsweep.runtime;
