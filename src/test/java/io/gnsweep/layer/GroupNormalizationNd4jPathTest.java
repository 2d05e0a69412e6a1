package io.gnsweep.layer;

import org.junit.jupiter.api.extension.ExtendWith;

/** Every test of {@link GroupNormalizationTest} again on the layer's ND4J path (the CUDA backend's, and the CPU fallback). */
@ExtendWith(Nd4jPath.class)
class GroupNormalizationNd4jPathTest extends GroupNormalizationTest {}
