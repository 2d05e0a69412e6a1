package io.gnsweep.layer;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class with gnsweep's layers on their ND4J path ({@link NativeKernels#PROPERTY} = false), the
 * CUDA backend's and the CPU fallback: {@code @ExtendWith(Nd4jPath.class)} on a subclass of a layer or network
 * suite.
 */
public final class Nd4jPath implements BeforeAllCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        System.setProperty(NativeKernels.PROPERTY, "false");
    }

    @Override
    public void afterAll(ExtensionContext context) {
        System.clearProperty(NativeKernels.PROPERTY);
    }
}
