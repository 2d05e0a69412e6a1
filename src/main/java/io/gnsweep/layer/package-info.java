/**
 * The GroupNorm layer for Deeplearning4j: {@link io.gnsweep.layer.GroupNormalization} (configuration,
 * builder, JSON form), its implementation and its parameter initialiser; the BatchNorm layer
 * ({@link io.gnsweep.layer.BatchNorm}: DL4J's BatchNormalization configuration and semantics) and the ReLU layer
 * ({@link io.gnsweep.layer.Relu}) that run on the same fused CPU kernels; and what the layers share to plug
 * into DL4J (LayerPlumbing).
 *
 * <p>Owns the normalisation arithmetic only. It may use DL4J and ND4J; it must not use Spark, the data
 * readers or the training loop, and it uses ND4J array operations only (no per-element Java loops),
 * so the same code runs on the CPU and CUDA backends.
 */
package io.gnsweep.layer;
