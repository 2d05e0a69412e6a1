package io.gnsweep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Fashion-MNIST subset inside the jar ({@code classpath:gnsweep/data/fashion-mnist-subset}). */
class ShippedSubsetTest {

    private static final Path FULL = FashionMnistFolder.DEBIAN;
    private static final DataFolder SHIPPED = new ClasspathDataFolder(ClasspathDataFolder.SHIPPED_FASHION_MNIST);

    @Test
    void loadsAsTenThousandPlusTwoThousandImages() throws IOException {
        assertDoesNotThrow(() -> DatasetLoader.check("fashion-mnist", SHIPPED));
        assertEquals(List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz"), DatasetLoader.files("fashion-mnist", SHIPPED));
        TrainTest tt = DatasetLoader.load("fashion-mnist", SHIPPED, null, null);
        assertEquals(10_000, tt.train().size());
        assertEquals(2_000, tt.test().size());
        for (ImageDataset d : List.of(tt.train(), tt.test())) {
            assertEquals(1, d.channels());
            assertEquals(28, d.height());
            assertEquals(28, d.width());
            int[] perClass = new int[10];
            for (int label : d.labels()) {
                perClass[label]++;
            }
            for (int c = 0; c < 10; c++) {
                assertTrue(perClass[c] > d.size() / 20, d.name() + ": class " + c + " has " + perClass[c] + " images");
            }
        }
    }

    @Test
    void equalsTheFirstImagesOfTheFullSet() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(FULL), FULL + " not present (Debian's dataset-fashion-mnist)");
        TrainTest full = DatasetLoader.load("fashion-mnist", new LocalDataFolder(FULL), 10_000, 2_000);
        TrainTest shipped = DatasetLoader.load("fashion-mnist", SHIPPED, null, null);
        assertArrayEquals(full.train().labels(), shipped.train().labels());
        assertArrayEquals(full.train().pixels(), shipped.train().pixels());
        assertArrayEquals(full.test().labels(), shipped.test().labels());
        assertArrayEquals(full.test().pixels(), shipped.test().pixels());
    }

    @Test
    void aLocalCopyLoadsTheSame(@TempDir Path dir) throws IOException {
        Path copy = FashionMnistFolder.copyShippedSubset(dir.resolve("fm"));
        TrainTest local = DatasetLoader.load("fashion-mnist", new LocalDataFolder(copy), null, null);
        TrainTest shipped = DatasetLoader.load("fashion-mnist", SHIPPED, null, null);
        assertArrayEquals(shipped.train().pixels(), local.train().pixels());
        assertArrayEquals(shipped.test().labels(), local.test().labels());
    }

    @Test
    void aMissingClasspathFolderIsNamed() {
        DataFolder none = new ClasspathDataFolder("classpath:gnsweep/data/no-such-folder");
        DataFormatException e = assertThrows(DataFormatException.class, () -> DatasetLoader.check("fashion-mnist", none));
        assertTrue(e.getMessage().contains("classpath:gnsweep/data/no-such-folder"), e.getMessage());
    }

    @Test
    void lengthsAreTheResourcesSizes() throws IOException {
        assertEquals(SHIPPED.length("t10k-labels-idx1-ubyte.gz"),
                SHIPPED.open("t10k-labels-idx1-ubyte.gz").readAllBytes().length);
        assertEquals("classpath:gnsweep/data/fashion-mnist-subset",
                new ClasspathDataFolder("classpath:/gnsweep/data/fashion-mnist-subset/").describe());
    }
}
