package io.gnsweep.model;

import io.gnsweep.layer.Nd4jPath;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every test of {@link FusedReluTest} again with the norm layers on their ND4J path (CUDA's, and the fallback). */
@ExtendWith(Nd4jPath.class)
class FusedReluNd4jPathTest extends FusedReluTest {}
