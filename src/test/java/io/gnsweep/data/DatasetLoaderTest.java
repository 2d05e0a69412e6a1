package io.gnsweep.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLoaderTest {

    @TempDir
    Path dir;

    @Test
    void namesAreTheSupportedDatasets() {
        assertEquals(List.of("fashion-mnist", "mnist", "cifar10"), DatasetLoader.NAMES);
    }

    @Test
    void unknownNameListsKnownOnes() {
        DataFolder folder = new LocalDataFolder(dir);
        IllegalArgumentException load = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.load("svhn", folder, null, null));
        IllegalArgumentException check = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.check("svhn", folder));
        for (IllegalArgumentException e : List.of(load, check)) {
            assertTrue(e.getMessage().contains("svhn"), e.getMessage());
            assertTrue(e.getMessage().contains("fashion-mnist, mnist, cifar10"), e.getMessage());
        }
    }

    @Test
    void limitsBelowOneAreRejected() {
        Fixtures.writeMnist(dir, 2, 2, false);
        DataFolder folder = new LocalDataFolder(dir);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.load("mnist", folder, 0, null));
        assertTrue(e.getMessage().contains("trainLimit"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DatasetLoader.load("mnist", folder, null, -3));
        assertTrue(e.getMessage().contains("testLimit"), e.getMessage());
    }

    @Test
    void datasetFolderThatDoesNotExistReportsMissingFile() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> DatasetLoader.check("fashion-mnist", new LocalDataFolder(dir.resolve("nowhere"))));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        assertTrue(e.file().endsWith("train-images-idx3-ubyte"), e.file());
    }
}
