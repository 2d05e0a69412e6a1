package io.gnsweep.layer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Every test of {@link GroupNormalizationTest} again on the layer's ND4J path (the CUDA backend's, and the CPU fallback). */
class GroupNormalizationNd4jPathTest extends GroupNormalizationTest {

    @BeforeAll
    static void nd4jPath() {
        System.setProperty(NativeKernels.PROPERTY, "false");
    }

    @AfterAll
    static void defaultPath() {
        System.clearProperty(NativeKernels.PROPERTY);
    }
}
