package io.gnsweep.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** When the memory watch collects: growth above the lowest resident size since the last collection. */
class MemoryWatchTest {
    @AfterEach
    void defaults() {
        System.clearProperty(MemoryWatch.PROPERTY);
    }

    private static final long MB = 1 << 20;

    @Test
    void collectsOnceGrowthPassesTheLimitAndStartsAgainFromWhatRemains() {
        Deque<Long> rss = new ArrayDeque<>(List.of(900 * MB, 800 * MB, 1700 * MB, 1900 * MB, 1000 * MB, 1500 * MB,
                2100 * MB));
        long[] last = {0};
        int[] gcs = {0};
        MemoryWatch w = new MemoryWatch(() -> last[0] = rss.isEmpty() ? last[0] : rss.poll(), () -> gcs[0]++, 1000 * MB);
        w.check(); // 900: baseline
        w.check(); // 800: lower baseline
        w.check(); // 1700: 900 above
        assertEquals(0, gcs[0]);
        w.check(); // 1900: 1100 above 800 -> collect; after it 1000 is the baseline
        assertEquals(1, gcs[0]);
        w.check(); // 1500: 500 above
        assertEquals(1, gcs[0]);
        w.check(); // 2100: 1100 above 1000
        assertEquals(2, gcs[0]);
        assertEquals(2, w.collections());
    }

    @Test
    void anUnknownSizeNeverCollects() {
        int[] gcs = {0};
        MemoryWatch w = new MemoryWatch(() -> 0, () -> gcs[0]++, 1);
        for (int i = 0; i < 5; i++) {
            w.check();
        }
        assertEquals(0, gcs[0]);
    }

    @Test
    void readsThisProcesssResidentSizeAndItsLimit() {
        long rss = MemoryWatch.residentFromProc();
        assertTrue(rss > 10 * MB && rss < Runtime.getRuntime().maxMemory() + 64L * 1024 * MB, "resident " + rss);
        assertEquals(MemoryWatch.DEFAULT_MB, MemoryWatch.limitMb());
        System.setProperty(MemoryWatch.PROPERTY, "0");
        assertEquals(0, MemoryWatch.limitMb());
        System.setProperty(MemoryWatch.PROPERTY, "lots");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, MemoryWatch::limitMb);
        assertTrue(e.getMessage().startsWith("gnsweep.memoryWatchMb = lots"), e.getMessage());
    }
}
