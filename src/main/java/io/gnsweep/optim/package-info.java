/**
 * The training protocol's optimiser parts that DL4J 1.0.0-M2.1 lacks in PyTorch's form: SGD with heavy-ball or
 * Nesterov momentum ({@link io.gnsweep.optim.SgdMomentum}) and the learning-rate schedule as a pure function of
 * the iteration ({@link io.gnsweep.optim.LrSchedule}). May use ND4J; knows nothing of networks, data or Spark.
 */
package io.gnsweep.optim;
