package io.gnsweep.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares ND4J in this JVM before its first use: picks the oneDNN build of the CPU backend, switches
 * DL4J's layer helpers on (M2.1 leaves them off, and with them oneDNN: the biggest CPU speed lever on this
 * stack, ~8.5x for a small CNN), switches off JavaCPP's physical-memory check (see
 * {@link #MAX_PHYSICAL_BYTES}), and bounds the native threads so that concurrent trials do not oversubscribe
 * the cores.
 */
public final class NativeSetup {

    /** System property JavaCPP reads to pick a native build variant, e.g. {@code -onednn}. */
    public static final String PLATFORM_EXTENSION = "org.bytedeco.javacpp.platform.extension";
    /** DL4J's switch for layer helpers (cuDNN / oneDNN); its default in 1.0.0-M2.1 is "true". */
    public static final String HELPERS_DISABLE = "org.eclipse.deeplearning4j.helpers.disable";

    /**
     * JavaCPP's limit on the process's resident memory, checked (by reading /proc) each time a native pointer
     * is registered for release: in ND4J 1.0.0-M2.1 that is every new array object, views and reshapes
     * included, and every op context. On small tensors that check was the largest single cost in a JFR
     * profile of training (more native samples than the ops themselves), so gnsweep sets it to 0 (no check)
     * unless the user set it, in either spelling JavaCPP reads. What the check added was a GC trigger on
     * resident size; without it, arrays outside workspaces are freed when the Java heap is next collected
     * (training allocates in reused workspaces and its batches on the heap too), which {@link MemoryWatch}
     * brings forward when resident memory grows, and
     * {@code org.bytedeco.javacpp.maxBytes} still bounds JavaCPP's own allocations (not ND4J's buffers).
     */
    public static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxPhysicalBytes";

    private static final Logger LOG = LoggerFactory.getLogger(NativeSetup.class);
    private static final Properties BUILD = loadBuild();
    private static volatile boolean initialised;

    private NativeSetup() {}

    /** The build's properties (versions, native variant), from {@code gnsweep-build.properties}. */
    public static Properties build() {
        return BUILD;
    }

    /**
     * Sets the native-library properties (unless the user set them) and loads the ND4J backend. Idempotent;
     * must run before anything touches ND4J in this JVM, or the plain (non-oneDNN) build may load first.
     */
    public static void init() {
        if (initialised) {
            return;
        }
        synchronized (NativeSetup.class) {
            if (initialised) {
                return;
            }
            String extension = BUILD.getProperty("nd4j.platform.extension", "");
            if (!extension.isEmpty() && !extension.startsWith("${") && System.getProperty(PLATFORM_EXTENSION) == null) {
                System.setProperty(PLATFORM_EXTENSION, extension);
            }
            if (System.getProperty(MAX_PHYSICAL_BYTES) == null
                    && System.getProperty(MAX_PHYSICAL_BYTES.toLowerCase(java.util.Locale.ROOT)) == null) {
                System.setProperty(MAX_PHYSICAL_BYTES, "0");
            }
            if (System.getProperty(HELPERS_DISABLE) == null) {
                System.setProperty(HELPERS_DISABLE, "false");
            }
            Nd4j.create(1); // loads the backend now, so a failure surfaces here with its cause
            if (!DeallocatorQueues.install()) {
                LOG.info("ND4J's deallocator service kept as it is (not 1.0.0-M2.1's fields)");
            }
            MemoryWatch.start();
            initialised = true;
            LOG.info("ND4J backend {} ({}), oneDNN {}, native threads {}", backend(),
                    System.getProperty(PLATFORM_EXTENSION, "plain"), oneDnnEnabled(), Nd4j.getEnvironment().maxThreads());
        }
    }

    /**
     * Limits the native threads used for work started from the calling thread: ND4J's own pool (per JVM)
     * and OpenMP, which oneDNN uses (per calling thread). {@code threads < 1} leaves the defaults.
     */
    public static void bindThreads(int threads) {
        init();
        if (threads < 1) {
            return;
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
    }

    /** "CPU" or "CUDA": the ND4J backend that loaded. */
    public static String backend() {
        init();
        return Nd4j.getEnvironment().isCPU() ? "CPU" : "CUDA";
    }

    /** Whether oneDNN is built in and switched on (false on CUDA). */
    public static boolean oneDnnEnabled() {
        try {
            return org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN();
        } catch (Throwable t) {
            return false;
        }
    }

    private static Properties loadBuild() {
        Properties p = new Properties();
        try (InputStream in = NativeSetup.class.getResourceAsStream("/gnsweep-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
