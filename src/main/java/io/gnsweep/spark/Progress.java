package io.gnsweep.spark;

import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.util.LongAccumulator;

/** Prints "trials done / total, failed, elapsed, ETA" from the task accumulators. */
final class Progress {
    private final String name;
    private final int total;
    private final long started;
    private final LongAccumulator done;
    private final LongAccumulator failed;
    private final LongAccumulator diverged;
    private final PrintStream out;

    Progress(String name, int total, long started, LongAccumulator done, LongAccumulator failed,
             LongAccumulator diverged, PrintStream out) {
        this.name = name;
        this.total = total;
        this.started = started;
        this.done = done;
        this.failed = failed;
        this.diverged = diverged;
        this.out = out;
    }

    synchronized void print() {
        long d = done.value();
        long elapsed = (System.currentTimeMillis() - started) / 1000;
        String eta = d == 0 ? "?" : clock(Math.round(elapsed * (double) (total - d) / d));
        out.printf(Locale.ROOT, "[%s] %d/%d trials done, %d failed, %d diverged, elapsed %s, ETA %s%n", name, d, total,
                failed.value(), diverged.value(), clock(elapsed), d == total ? "0:00" : eta);
    }

    static String clock(long seconds) {
        return seconds >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
