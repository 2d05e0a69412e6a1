/**
 * Standard image dataset file formats and the in-memory image sets read from them.
 *
 * <p>This package owns the on-disk formats (IDX for MNIST and Fashion-MNIST, the CIFAR-10
 * binary batches), where their files live ({@link io.gnsweep.data.DataFolder}) and the
 * decoded result ({@link io.gnsweep.data.ImageDataset}: NCHW float pixels scaled to
 * [-1, 1]). {@link io.gnsweep.data.DatasetLoader} is the entry point.
 *
 * <p>It must stay plain Java (java.io, java.util.zip): no Spark, DL4J or ND4J. Keeping it
 * free of them lets it be tested in milliseconds and reused on driver and executors alike;
 * converting to framework types (INDArray, RDDs) is the job of the packages that use it.
 */
package io.gnsweep.data;
