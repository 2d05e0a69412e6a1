package io.gnsweep.model;

import io.gnsweep.layer.GroupNormalization;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Every test of {@link ResNetTest} again with the GroupNorm layers on their ND4J path (CUDA's, and the fallback). */
class ResNetNd4jPathTest extends ResNetTest {
    @BeforeAll
    static void nd4jPath() {
        System.setProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY, "false");
    }

    @AfterAll
    static void kernels() {
        System.clearProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY);
    }
}
