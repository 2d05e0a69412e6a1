package io.gnsweep.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a garbage collection when the process's resident memory has grown by a set amount since the last one.
 *
 * <p>ND4J frees an array's native memory only after the GC has collected the array's Java object. Training makes
 * thousands of short-lived arrays a second (views, shape buffers, op contexts); those that live past a young
 * collection are collected with the old generation, which G1 marks only once the heap is 45% full. With a large
 * heap (the sweep driver's is 8 GB) and little Java garbage, that took long enough for a sweep driver to reach
 * 10.9 GB resident at batch 2, and an earlier one was killed by the OOM killer at 15.4 GB. JavaCPP's own trigger
 * (maxPhysicalBytes) reads /proc on every array and is switched off for speed (see {@link NativeSetup}); this
 * watch reads it once a second instead.
 *
 * <p>{@code -Dgnsweep.memoryWatchMb=N} sets the growth that triggers a collection (default 2048 MB; 0 switches the
 * watch off).
 */
public final class MemoryWatch {
    /** The growth in MB of resident memory since the last collection that triggers the next; 0 = off. */
    public static final String PROPERTY = "gnsweep.memoryWatchMb";
    static final long DEFAULT_MB = 2048;
    private static final Logger LOG = LoggerFactory.getLogger(MemoryWatch.class);

    private final LongSupplier residentBytes;
    private final Runnable collect;
    private final long limitBytes;
    private long baseline = Long.MAX_VALUE;
    private final AtomicLong collections = new AtomicLong();

    MemoryWatch(LongSupplier residentBytes, Runnable collect, long limitBytes) {
        this.residentBytes = residentBytes;
        this.collect = collect;
        this.limitBytes = limitBytes;
    }

    /**
     * One look: a collection if resident memory is more than the limit above the lowest value seen since the last
     * collection (the baseline; after a collection, the value then).
     */
    synchronized void check() {
        long now = residentBytes.getAsLong();
        if (now <= 0) {
            return; // unknown here
        }
        if (now < baseline) {
            baseline = now;
        } else if (now - baseline > limitBytes) {
            collect.run();
            collections.incrementAndGet();
            baseline = Math.max(1, residentBytes.getAsLong());
        }
    }

    long collections() {
        return collections.get();
    }

    private static volatile MemoryWatch running;

    /** Starts the JVM's watch (once; a daemon thread), unless {@link #PROPERTY} is 0 or /proc is not there. */
    static synchronized void start() {
        if (running != null) {
            return;
        }
        long mb = limitMb();
        if (mb <= 0 || residentFromProc() <= 0) {
            return;
        }
        MemoryWatch w = new MemoryWatch(MemoryWatch::residentFromProc, System::gc, mb << 20);
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                w.check();
            }
        }, "gnsweep-memory-watch");
        t.setDaemon(true);
        t.start();
        running = w;
        LOG.debug("memory watch: a collection after {} MB of resident growth", mb);
    }

    /** The limit from {@link #PROPERTY}; an unreadable value is refused with the key's name. */
    static long limitMb() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) {
            return DEFAULT_MB;
        }
        try {
            long mb = Long.parseLong(v.trim());
            if (mb < 0) {
                throw new NumberFormatException();
            }
            return mb;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + " = " + v + ": expected a whole number of MB (0 = off)");
        }
    }

    /** This process's resident bytes (VmRSS in /proc/self/status), or 0 where it cannot be read. */
    static long residentFromProc() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
