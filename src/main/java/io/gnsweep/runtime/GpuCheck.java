package io.gnsweep.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Decides whether a trial can run on the GPU Spark assigned it, before ND4J touches that GPU, and binds
 * the calling thread to it. ND4J 1.0.0-M2.1's CUDA build (nd4j-cuda-11.6) has GPU code for compute
 * capability 3.7 to 8.6 only and no PTX, so on Hopper (9.0) or later it cannot run: such a GPU is refused
 * with a clear message instead of a crash or a hang.
 */
public final class GpuCheck {
    /** Oldest and newest compute capability the ND4J CUDA build has code for. */
    static final double MIN_CAPABILITY = 3.7;
    static final double MAX_CAPABILITY = 8.6;

    private GpuCheck() {}

    /** Why the GPU with this address cannot be used, or null if it can. */
    public static String problem(String address) {
        String[] info = query(address);
        if (info != null) {
            try {
                double capability = Double.parseDouble(info[0].trim());
                if (capability < MIN_CAPABILITY || capability > MAX_CAPABILITY) {
                    return String.format(Locale.ROOT, "GPU %s (%s, compute capability %s) is not supported by ND4J "
                            + "1.0.0-M2.1's CUDA build (compute capability %.1f to %.1f, no PTX)", address,
                            info.length > 1 ? info[1].trim() : "?", info[0].trim(), MIN_CAPABILITY, MAX_CAPABILITY);
                }
            } catch (NumberFormatException e) {
                // an nvidia-smi too old to report compute_cap: let the backend check below decide
            }
        }
        String backend = NativeSetup.backend();
        if (!"CUDA".equals(backend)) {
            return "GPU " + address + " was assigned but ND4J's CUDA backend is not loaded (backend " + backend
                    + "; build with mvn -Pcuda package and provide the CUDA 11.6 libraries)";
        }
        return null;
    }

    /** Binds ND4J work of the calling thread to the device. */
    public static void bind(String address) {
        Nd4j.getAffinityManager().unsafeSetDevice(Integer.parseInt(address.trim()));
    }

    /** {compute capability, name} from nvidia-smi, or null when nvidia-smi is absent or fails. */
    private static String[] query(String address) {
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=compute_cap,name", "--format=csv,noheader",
                    "-i", address).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
                return null;
            }
            return out.lines().findFirst().orElse("").split(",", 2);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
