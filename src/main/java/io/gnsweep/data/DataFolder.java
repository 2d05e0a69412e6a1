package io.gnsweep.data;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where a dataset's files live. Readers only name files relative to the folder, so the
 * same reader works on a local directory ({@link LocalDataFolder}) or on a distributed
 * file system provided by another implementation.
 */
public interface DataFolder {

    /** A human-readable description of the folder, such as its path or URI; used in messages. */
    String describe();

    /** Whether the named file (a path relative to this folder, '/'-separated) exists. */
    boolean exists(String fileName);

    /** Opens the named file for reading; the caller closes the stream. */
    InputStream open(String fileName) throws IOException;

    /**
     * The full location of a file, for error messages: users must be able to find the exact
     * file a problem was found in.
     */
    default String locate(String fileName) {
        String base = describe();
        return base.endsWith("/") ? base + fileName : base + "/" + fileName;
    }

    /**
     * The length of the named file in bytes. The default reads the whole file; implementations
     * that can ask their file system for the size should override it, because pre-flight
     * checks rely on it being cheap.
     */
    default long length(String fileName) throws IOException {
        try (InputStream in = open(fileName)) {
            byte[] buffer = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buffer)) >= 0; ) {
                total += n;
            }
            return total;
        }
    }
}
