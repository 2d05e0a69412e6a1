package io.gnsweep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Runs against the real Fashion-MNIST files when the machine has them. */
class RealFashionMnistTest {

    private static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");

    @Test
    void loadsLimitedRealData() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(DIR), DIR + " not present");
        DataFolder folder = new LocalDataFolder(DIR);
        assertDoesNotThrow(() -> DatasetLoader.check("fashion-mnist", folder));
        TrainTest tt = DatasetLoader.load("fashion-mnist", folder, 100, 50);
        for (ImageDataset d : new ImageDataset[] {tt.train(), tt.test()}) {
            assertEquals(1, d.channels());
            assertEquals(28, d.height());
            assertEquals(28, d.width());
            assertEquals(d.size() * 784, d.pixels().length);
            for (int label : d.labels()) {
                assertTrue(label >= 0 && label <= 9, "label " + label);
            }
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float p : d.pixels()) {
                min = Math.min(min, p);
                max = Math.max(max, p);
            }
            assertEquals(-1f, min, d.name());
            assertEquals(1f, max, d.name());
        }
        assertEquals(100, tt.train().size());
        assertEquals(50, tt.test().size());
        // the files' own first labels, and the centre pixel (byte 217) of the first training image
        assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, java.util.Arrays.copyOf(tt.train().labels(), 10));
        assertArrayEquals(new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, java.util.Arrays.copyOf(tt.test().labels(), 10));
        assertEquals(217 / 255f * 2f - 1f, tt.train().pixels()[14 * 28 + 14]);
    }
}
