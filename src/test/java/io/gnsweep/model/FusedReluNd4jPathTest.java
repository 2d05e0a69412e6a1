package io.gnsweep.model;

import io.gnsweep.layer.GroupNormalization;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Every test of {@link FusedReluTest} again with the norm layers on their ND4J path (CUDA's, and the fallback). */
class FusedReluNd4jPathTest extends FusedReluTest {
    @BeforeAll
    static void nd4jPath() {
        System.setProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY, "false");
    }

    @AfterAll
    static void kernels() {
        System.clearProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY);
    }
}
