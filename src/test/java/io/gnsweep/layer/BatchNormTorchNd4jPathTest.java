package io.gnsweep.layer;

import org.junit.jupiter.api.extension.ExtendWith;

/** {@link BatchNormTorchTest} with the kernels off (the layer runs DL4J's own code). */
@ExtendWith(Nd4jPath.class)
class BatchNormTorchNd4jPathTest extends BatchNormTorchTest {}
