package io.gnsweep.model;

import io.gnsweep.layer.Nd4jPath;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every test of {@link ResNetTest} again with the GroupNorm layers on their ND4J path (CUDA's, and the fallback). */
@ExtendWith(Nd4jPath.class)
class ResNetNd4jPathTest extends ResNetTest {}
