package io.gnsweep.data;

import static io.gnsweep.data.Fixtures.idxImages;
import static io.gnsweep.data.Fixtures.idxLabels;
import static io.gnsweep.data.Fixtures.scaled;
import static io.gnsweep.data.Fixtures.writeIdx;
import static io.gnsweep.data.Fixtures.writeMnist;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxFormatTest {

    @TempDir
    Path dir;

    private DataFolder folder() {
        return new LocalDataFolder(dir);
    }

    private static void assertMessage(DataFormatException e, Path file, String... parts) {
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString() + ": "), "names the file: " + m);
        for (String part : parts) {
            assertTrue(m.contains(part), "mentions '" + part + "': " + m);
        }
    }

    @ParameterizedTest(name = "gzipped={0}")
    @ValueSource(booleans = {false, true})
    void decodesPixelsLabelsAndShapes(boolean gz) throws IOException {
        writeMnist(dir, 7, 3, gz);
        TrainTest tt = DatasetLoader.load("mnist", folder(), null, null);
        ImageDataset train = tt.train();
        assertEquals(7, train.size());
        assertEquals(3, tt.test().size());
        assertEquals(1, train.channels());
        assertEquals(28, train.height());
        assertEquals(28, train.width());
        assertEquals(10, train.numClasses());
        assertEquals(7 * 784, train.pixels().length);
        assertEquals("mnist/train", train.name());
        float[] px = train.pixels();
        assertEquals(-1f, px[0], "byte 0");
        assertEquals(1f, px[255], "byte 255");
        assertEquals(-0.6f, px[51], 1e-6f, "byte 51");
        // image 2, row 3, col 4
        assertEquals(scaled(Fixtures.pixel(2, 3 * 28 + 4)), px[2 * 784 + 3 * 28 + 4]);
        for (int i = 0; i < px.length; i++) {
            assertEquals(scaled(Fixtures.pixel(i / 784, i % 784)), px[i], "pixel " + i);
        }
        for (int i = 0; i < 7; i++) {
            assertEquals(Fixtures.label(i), train.labels()[i], "label " + i);
        }
    }

    @Test
    void gzipIsDetectedByContentNotSuffix() throws IOException {
        writeMnist(dir, 4, 2, false);
        Path images = dir.resolve("train-images-idx3-ubyte");
        Files.write(images, Fixtures.gzip(Files.readAllBytes(images)));
        ImageDataset train = DatasetLoader.load("fashion-mnist", folder(), null, null).train();
        assertEquals(4, train.size());
        assertEquals(1f, train.pixels()[255]);
    }

    @Test
    void limitsKeepFirstImages() throws IOException {
        writeMnist(dir, 7, 5, true);
        TrainTest tt = DatasetLoader.load("mnist", folder(), 3, 100);
        assertEquals(3, tt.train().size());
        assertEquals(3 * 784, tt.train().pixels().length);
        assertEquals(5, tt.test().size(), "limit above size keeps all");
        assertEquals(scaled(Fixtures.pixel(2, 0)), tt.train().pixels()[2 * 784]);
        assertEquals(Fixtures.label(2), tt.train().labels()[2]);
    }

    @Test
    void limitStopsReadingBeforeTruncatedTail() throws IOException {
        writeMnist(dir, 7, 2, false);
        byte[] full = idxImages(7, 28, 28);
        writeIdx(dir, "train-images-idx3-ubyte", Arrays.copyOf(full, 16 + 3 * 784), false);
        assertEquals(3, DatasetLoader.load("mnist", folder(), 3, null).train().size());
        assertThrows(DataFormatException.class, () -> DatasetLoader.check("mnist", folder()));
    }

    @Test
    void checkAcceptsValidFiles() {
        writeMnist(dir, 7, 3, true);
        assertDoesNotThrow(() -> DatasetLoader.check("mnist", folder()));
    }

    @Test
    void missingFileNamesBothCandidatesAndFolder() {
        writeMnist(dir, 7, 3, false);
        Path labels = dir.resolve("t10k-labels-idx1-ubyte");
        assertDoesNotThrow(() -> Files.delete(labels));
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.load("mnist", folder(), null, null));
        assertMessage(e, labels, "missing", "t10k-labels-idx1-ubyte, t10k-labels-idx1-ubyte.gz", "in " + dir);
        assertThrows(DataFormatException.class, () -> DatasetLoader.check("mnist", folder()));
    }

    @Test
    void wrongMagicShowsExpectedAndFoundInHex() {
        writeMnist(dir, 7, 3, false);
        // a labels file where an images file belongs
        writeIdx(dir, "train-images-idx3-ubyte", idxLabels(7), false);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.load("mnist", folder(), null, null));
        assertMessage(e, dir.resolve("train-images-idx3-ubyte"), "magic", "expected 0x00000803", "found 0x00000801");
    }

    @Test
    void truncatedImagesGiveExpectedAndFoundBytes() {
        writeMnist(dir, 7, 3, false);
        writeIdx(dir, "train-images-idx3-ubyte", Arrays.copyOf(idxImages(7, 28, 28), 3000), false);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.load("mnist", folder(), null, null));
        assertMessage(e, dir.resolve("train-images-idx3-ubyte"), "truncated", "expected " + (16 + 7 * 784), "found 3000");
    }

    @Test
    void truncatedGzippedLabelsReportUncompressedBytes() {
        writeMnist(dir, 7, 3, true);
        writeIdx(dir, "train-labels-idx1-ubyte", Arrays.copyOf(idxLabels(7), 12), true);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.load("mnist", folder(), null, null));
        assertMessage(e, dir.resolve("train-labels-idx1-ubyte.gz"), "truncated", "expected 15 bytes", "found 12");
    }

    @Test
    void truncatedHeaderIsReported() {
        writeMnist(dir, 7, 3, false);
        writeIdx(dir, "t10k-images-idx3-ubyte", new byte[] {0, 0, 8}, false);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.check("mnist", folder()));
        assertMessage(e, dir.resolve("t10k-images-idx3-ubyte"), "truncated", "found 3");
    }

    @Test
    void trailingDataFailsCheck() {
        writeMnist(dir, 7, 3, false);
        byte[] labels = idxLabels(3);
        writeIdx(dir, "t10k-labels-idx1-ubyte", Arrays.copyOf(labels, labels.length + 2), false);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.check("mnist", folder()));
        assertMessage(e, dir.resolve("t10k-labels-idx1-ubyte"), "expected 11 bytes", "found 13");
    }

    @Test
    void countMismatchNamesBothFiles() {
        writeMnist(dir, 7, 3, false);
        writeIdx(dir, "train-labels-idx1-ubyte", idxLabels(6), false);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.load("mnist", folder(), null, null));
        assertMessage(e, dir.resolve("train-labels-idx1-ubyte"), "6 labels", "7 images",
                dir.resolve("train-images-idx3-ubyte").toString(), "mismatch");
    }

    @Test
    void labelOutOfRangeIsReported() {
        writeMnist(dir, 7, 3, false);
        byte[] labels = idxLabels(7);
        labels[8 + 4] = 10;
        writeIdx(dir, "train-labels-idx1-ubyte", labels, false);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.load("mnist", folder(), null, null));
        assertMessage(e, dir.resolve("train-labels-idx1-ubyte"), "label 10 at index 4", "0..9");
        assertThrows(DataFormatException.class, () -> DatasetLoader.check("mnist", folder()));
    }

    @Test
    void corruptGzipDataIsReported() {
        writeMnist(dir, 7, 3, true);
        byte[] bad = new byte[64];
        Arrays.fill(bad, (byte) 0xFF);
        System.arraycopy(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 0}, 0, bad, 0, 10);
        Fixtures.write(dir.resolve("train-images-idx3-ubyte.gz"), bad);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.load("mnist", folder(), null, null));
        assertMessage(e, dir.resolve("train-images-idx3-ubyte.gz"), "corrupt gzip");
    }

    @Test
    void cutOffGzipIsReportedAsCorrupt() {
        writeMnist(dir, 7, 3, true);
        Path file = dir.resolve("t10k-images-idx3-ubyte.gz");
        byte[] gz = Fixtures.read(file);
        Fixtures.write(file, Arrays.copyOf(gz, gz.length / 2));
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.check("mnist", folder()));
        assertMessage(e, file, "corrupt gzip");
    }

    @Test
    void corruptGzipHeaderIsReported() {
        writeMnist(dir, 7, 3, false);
        // gzip magic but an unknown compression method (9 instead of 8)
        Fixtures.write(dir.resolve("train-labels-idx1-ubyte"), new byte[] {0x1f, (byte) 0x8b, 9, 0, 0, 0, 0, 0, 0, 0, 1});
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.load("mnist", folder(), null, null));
        assertMessage(e, dir.resolve("train-labels-idx1-ubyte"), "corrupt gzip");
    }
}
