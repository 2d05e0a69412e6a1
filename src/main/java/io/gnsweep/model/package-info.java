/**
 * Network architectures and normalisation kinds: {@link io.gnsweep.model.NormKind},
 * {@link io.gnsweep.model.Model} and {@link io.gnsweep.model.NetworkFactory}, which builds one architecture
 * with any normalisation. May use DL4J and the layer package; knows nothing of Spark, data files or training.
 */
package io.gnsweep.model;
