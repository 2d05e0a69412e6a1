package io.gnsweep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDataFolderTest {

    @TempDir
    Path dir;

    @Test
    void readsFilesAndSubfolders() throws IOException {
        Fixtures.write(dir.resolve("sub/a.bin"), new byte[] {1, 2, 3});
        LocalDataFolder folder = new LocalDataFolder(dir);
        assertTrue(folder.exists("sub/a.bin"));
        assertFalse(folder.exists("sub"), "a directory is not a data file");
        assertFalse(folder.exists("b.bin"));
        assertEquals(3, folder.length("sub/a.bin"));
        assertEquals(dir.resolve("sub/a.bin").toString(), folder.locate("sub/a.bin"));
        assertEquals(dir.toString(), folder.describe());
        try (InputStream in = folder.open("sub/a.bin")) {
            assertArrayEquals(new byte[] {1, 2, 3}, in.readAllBytes());
        }
    }

    @Test
    void defaultLocateAndLengthWorkForOtherFolders() throws IOException {
        DataFolder remote = new DataFolder() {
            @Override
            public String describe() {
                return "hdfs://nn/data/";
            }

            @Override
            public boolean exists(String fileName) {
                return true;
            }

            @Override
            public InputStream open(String fileName) {
                return new ByteArrayInputStream(new byte[70_000]);
            }
        };
        assertEquals("hdfs://nn/data/x.bin", remote.locate("x.bin"));
        assertEquals(70_000, remote.length("x.bin"));
    }
}
