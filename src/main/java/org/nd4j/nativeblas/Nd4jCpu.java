package org.nd4j.nativeblas;

/**
 * Compatibility shim that lets DL4J 1.0.0-M2.1 find oneDNN.
 *
 * <p>DL4J's {@code BaseMKLDNNHelper.mklDnnEnabled()} looks up {@code org.nd4j.nativeblas.Nd4jCpu$Environment}
 * and its method {@code isUseMKLDNN} by reflection, but ND4J 1.0.0-M2.1 moved that class to
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment} and renamed the method
 * {@code isUseONEDNN}. The failed lookup silently disables every oneDNN layer helper (convolution, batch
 * norm, pooling). This class restores the old name and delegates to the new one. See
 * {@link io.gnsweep.runtime.NativeSetup}.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {}

    /** The old-name view of ND4J's native environment, as DL4J's reflection expects it. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();

        private Environment() {}

        public static Environment getInstance() {
            return INSTANCE;
        }

        /** Whether the native library was built with oneDNN and has it switched on. */
        public boolean isUseMKLDNN() {
            return org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance().isUseONEDNN();
        }
    }
}
