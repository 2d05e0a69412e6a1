package io.gnsweep.layer;

import org.junit.jupiter.api.extension.ExtendWith;

/** Every test of {@link BatchNormTest} again with the kernels off: the layer runs DL4J's own code (CUDA, fallback). */
@ExtendWith(Nd4jPath.class)
class BatchNormNd4jPathTest extends BatchNormTest {}
