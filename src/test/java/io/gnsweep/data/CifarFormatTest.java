package io.gnsweep.data;

import static io.gnsweep.data.Fixtures.CIFAR_RECORD;
import static io.gnsweep.data.Fixtures.cifarBatch;
import static io.gnsweep.data.Fixtures.cifarLabel;
import static io.gnsweep.data.Fixtures.cifarPixel;
import static io.gnsweep.data.Fixtures.scaled;
import static io.gnsweep.data.Fixtures.write;
import static io.gnsweep.data.Fixtures.writeCifar;
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

class CifarFormatTest {

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

    @Test
    void decodesBatchesInOrderAsChw() throws IOException {
        writeCifar(dir, 2, 3);
        TrainTest tt = DatasetLoader.load("cifar10", folder(), null, null);
        ImageDataset train = tt.train();
        assertEquals(10, train.size());
        assertEquals(3, tt.test().size());
        assertEquals(3, train.channels());
        assertEquals(32, train.height());
        assertEquals(32, train.width());
        assertEquals(10, train.numClasses());
        assertEquals("cifar10/train", train.name());
        for (int i = 0; i < 10; i++) {
            assertEquals(cifarLabel(1 + i / 2, i % 2), train.labels()[i], "train label " + i);
        }
        // image 5 = batch 3 record 1; green channel, row 2, col 3
        int offset = 1024 + 2 * 32 + 3;
        assertEquals(scaled(cifarPixel(3, 1, offset)), train.pixels()[5 * 3072 + offset]);
        float[] px = tt.test().pixels();
        for (int i = 0; i < px.length; i++) {
            assertEquals(scaled(cifarPixel(0, i / 3072, i % 3072)), px[i], "test pixel " + i);
        }
        // test batch record 0 holds raw byte k at offset k for k < 256
        assertEquals(-1f, px[0]);
        assertEquals(-0.6f, px[51], 1e-6f);
        assertEquals(1f, px[255]);
    }

    @Test
    void acceptsOfficialSubfolder() throws IOException {
        writeCifar(dir.resolve("cifar-10-batches-bin"), 1, 2);
        TrainTest tt = DatasetLoader.load("cifar10", folder(), null, null);
        assertEquals(5, tt.train().size());
        assertEquals(2, tt.test().size());
        assertEquals(cifarLabel(0, 1), tt.test().labels()[1]);
        assertDoesNotThrow(() -> DatasetLoader.check("cifar10", folder()));
    }

    @Test
    void limitSpansBatchesAndSkipsTheRest() throws IOException {
        writeCifar(dir, 3, 4);
        // a bad label in batch 5: only reached when reading everything
        byte[] last = cifarBatch(5, 3);
        last[0] = 42;
        write(dir.resolve("data_batch_5.bin"), last);
        TrainTest tt = DatasetLoader.load("cifar10", folder(), 5, 2);
        assertEquals(5, tt.train().size());
        assertEquals(2, tt.test().size());
        assertEquals(cifarLabel(2, 1), tt.train().labels()[4], "5th image is batch 2 record 1");
        assertEquals(scaled(cifarPixel(2, 1, 0)), tt.train().pixels()[4 * 3072]);
        assertThrows(DataFormatException.class, () -> DatasetLoader.load("cifar10", folder(), null, 2));
    }

    @Test
    void lengthNotMultipleOfRecordIsReported() {
        writeCifar(dir, 2, 2);
        Path file = dir.resolve("data_batch_3.bin");
        write(file, Arrays.copyOf(cifarBatch(3, 2), 2 * CIFAR_RECORD - 5));
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.check("cifar10", folder()));
        assertMessage(e, file, "truncated or corrupt: length " + (2 * CIFAR_RECORD - 5) + " is not a multiple of 3073");
        assertThrows(DataFormatException.class, () -> DatasetLoader.load("cifar10", folder(), 1, 1));
    }

    @Test
    void emptyFileIsReported() {
        writeCifar(dir, 2, 2);
        Path file = dir.resolve("test_batch.bin");
        write(file, new byte[0]);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.load("cifar10", folder(), null, null));
        assertMessage(e, file, "empty");
    }

    @Test
    void labelOutOfRangeIsReported() {
        writeCifar(dir, 2, 2);
        Path file = dir.resolve("test_batch.bin");
        byte[] test = cifarBatch(0, 2);
        test[CIFAR_RECORD] = (byte) 200;
        write(file, test);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.check("cifar10", folder()));
        assertMessage(e, file, "label 200 at record 1", "0..9");
        e = assertThrows(DataFormatException.class, () -> DatasetLoader.load("cifar10", folder(), null, null));
        assertMessage(e, file, "label 200 at record 1");
    }

    @Test
    void missingBatchNamesBothLocations() throws IOException {
        writeCifar(dir, 1, 1);
        Path file = dir.resolve("data_batch_4.bin");
        Files.delete(file);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.load("cifar10", folder(), null, null));
        assertMessage(e, file, "missing", "data_batch_4.bin, cifar-10-batches-bin/data_batch_4.bin", "in " + dir);
    }

    @Test
    void checkAcceptsValidFiles() {
        writeCifar(dir, 2, 2);
        assertDoesNotThrow(() -> DatasetLoader.check("cifar10", folder()));
    }
}
