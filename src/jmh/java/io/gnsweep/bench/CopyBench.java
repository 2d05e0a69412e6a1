package io.gnsweep.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The machine's copy bandwidth, the denominator of the layer's memory floor: {@code System.arraycopy} of a
 * float[] of {@code megabytes} (256 MB by default, far beyond the caches). Bandwidth = 2 x bytes / time
 * (each byte read once and written once).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CopyBench {
    @Param({"256"})
    public int megabytes;

    private float[] src;
    private float[] dst;

    @Setup(Level.Trial)
    public void setUp() {
        int n = megabytes * (1 << 20) / 4;
        src = new float[n];
        dst = new float[n];
        for (int i = 0; i < n; i++) {
            src[i] = i;
        }
        System.arraycopy(src, 0, dst, 0, n); // touch every page of dst
    }

    @Benchmark
    public float arraycopy() {
        System.arraycopy(src, 0, dst, 0, src.length);
        return dst[dst.length - 1];
    }

    /** Bytes moved by one {@link #arraycopy()} (read + write). */
    public static double bytesMoved(int megabytes) {
        return 2.0 * megabytes * (1 << 20);
    }
}
