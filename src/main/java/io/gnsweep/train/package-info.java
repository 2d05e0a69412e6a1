/**
 * One trial: {@link io.gnsweep.train.TrialSpec} in, {@link io.gnsweep.train.TrialResult} out, trained by
 * {@link io.gnsweep.train.Trainer} on in-memory data. Uses the model and data packages, DL4J and ND4J; knows
 * nothing of Spark, so a trial runs and is tested without a cluster.
 */
package io.gnsweep.train;
