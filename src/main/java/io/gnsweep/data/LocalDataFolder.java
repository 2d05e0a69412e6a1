package io.gnsweep.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** A {@link DataFolder} that is a directory on the local file system. */
public final class LocalDataFolder implements DataFolder {

    private final Path dir;

    /** A folder rooted at {@code dir}; the directory need not exist yet (files then read as missing). */
    public LocalDataFolder(Path dir) {
        this.dir = Objects.requireNonNull(dir, "dir");
    }

    @Override
    public String describe() {
        return dir.toString();
    }

    @Override
    public boolean exists(String fileName) {
        return Files.isRegularFile(dir.resolve(fileName));
    }

    @Override
    public InputStream open(String fileName) throws IOException {
        return Files.newInputStream(dir.resolve(fileName));
    }

    @Override
    public String locate(String fileName) {
        return dir.resolve(fileName).toString();
    }

    @Override
    public long length(String fileName) throws IOException {
        return Files.size(dir.resolve(fileName));
    }

    @Override
    public String toString() {
        return "LocalDataFolder[" + dir + "]";
    }
}
