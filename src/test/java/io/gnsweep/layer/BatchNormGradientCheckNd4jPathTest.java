package io.gnsweep.layer;

import org.junit.jupiter.api.extension.ExtendWith;

/** {@link BatchNormGradientCheckTest} with the kernels off (the layer runs DL4J's own code). */
@ExtendWith(Nd4jPath.class)
class BatchNormGradientCheckNd4jPathTest extends BatchNormGradientCheckTest {}
