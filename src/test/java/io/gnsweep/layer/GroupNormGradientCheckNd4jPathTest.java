package io.gnsweep.layer;

import org.junit.jupiter.api.extension.ExtendWith;

/** Every test of {@link GroupNormGradientCheckTest} again on the layer's ND4J path (the CUDA backend's, and the CPU fallback). */
@ExtendWith(Nd4jPath.class)
class GroupNormGradientCheckNd4jPathTest extends GroupNormGradientCheckTest {}
