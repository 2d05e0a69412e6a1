package io.gnsweep.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Finding and opening dataset files in a {@link DataFolder}, shared by the format readers. */
final class DataFiles {

    static final int BUFFER = 1 << 16;

    private DataFiles() {
    }

    /**
     * The first of {@code candidates} that exists. When none does, the message lists every
     * name tried, since "not found" alone does not tell which layouts were accepted.
     */
    static String find(DataFolder folder, String... candidates) throws DataFormatException {
        for (String candidate : candidates) {
            if (folder.exists(candidate)) {
                return candidate;
            }
        }
        throw new DataFormatException(folder.locate(candidates[0]),
                "missing: looked for " + String.join(", ", candidates) + " in " + folder.describe());
    }

    /**
     * Opens a file, transparently decompressing it when it starts with the gzip magic bytes.
     * The content decides, not the ".gz" suffix, because downloads are often stored
     * decompressed under the compressed name or vice versa.
     */
    static InputStream openMaybeGzipped(DataFolder folder, String fileName) throws IOException {
        String location = folder.locate(fileName);
        BufferedInputStream in = new BufferedInputStream(folder.open(fileName), BUFFER);
        try {
            if (!startsWithGzipMagic(in)) {
                return in;
            }
            return new GuardedGzipStream(new GZIPInputStream(in, BUFFER), location);
        } catch (ZipException | EOFException e) {
            in.close();
            throw GuardedGzipStream.corrupt(location, e);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    private static boolean startsWithGzipMagic(BufferedInputStream in) throws IOException {
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        return b0 == 0x1f && b1 == 0x8b;
    }

    /** Reads up to {@code len} bytes, fewer only at end of stream; returns how many were read. */
    static int readFully(InputStream in, byte[] buf, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = in.read(buf, off + done, len - done);
            if (n < 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    /** Reads to end of stream, returning the number of bytes skipped over. */
    static long drain(InputStream in) throws IOException {
        byte[] buffer = new byte[BUFFER];
        long total = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            total += n;
        }
        return total;
    }
}
