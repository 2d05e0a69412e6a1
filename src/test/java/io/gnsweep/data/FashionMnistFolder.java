package io.gnsweep.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Fashion-MNIST as a local folder, for tests that need one (data shipped with addFile, files to corrupt):
 * Debian's {@code dataset-fashion-mnist} where it is installed, else a copy of the subset inside the jar
 * (the same first 10,000 + 2,000 images), so the tests need no package.
 */
public final class FashionMnistFolder {
    /** Where Debian's dataset-fashion-mnist puts the full set. */
    public static final Path DEBIAN = Path.of("/usr/share/datasets/fashion-mnist");

    private FashionMnistFolder() {}

    /** {@link #DEBIAN} where it is a folder, else {@link #copyShippedSubset} into {@code scratch}. */
    public static Path local(Path scratch) throws IOException {
        return Files.isDirectory(DEBIAN) ? DEBIAN : copyShippedSubset(scratch);
    }

    /** Copies the four files of the subset inside the jar into {@code dir} (created); returns dir. */
    public static Path copyShippedSubset(Path dir) throws IOException {
        ClasspathDataFolder shipped = new ClasspathDataFolder(ClasspathDataFolder.SHIPPED_FASHION_MNIST);
        Files.createDirectories(dir);
        for (String f : DatasetLoader.files("fashion-mnist", shipped)) {
            try (InputStream in = shipped.open(f)) {
                Files.copy(in, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }
}
