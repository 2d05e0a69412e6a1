package io.gnsweep.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * One opened IDX file (the MNIST container format), positioned just after its big-endian
 * header. Tracks how many bytes were read so truncation messages can give expected versus
 * found lengths.
 */
final class IdxFile implements Closeable {

    private final String location;
    private final InputStream in;
    private final int[] dims;
    private final int headerBytes;
    private long bytesRead;

    private IdxFile(String location, InputStream in, int magic, int rank) throws IOException {
        this.location = location;
        this.in = in;
        this.headerBytes = 4 + 4 * rank;
        byte[] header = new byte[headerBytes];
        requireBytes(header, 0, 4, headerBytes);
        int found = intAt(header, 0);
        if (found != magic) {
            throw new DataFormatException(location, String.format(
                    "wrong magic number: expected 0x%08x, found 0x%08x", magic, found));
        }
        requireBytes(header, 4, headerBytes - 4, headerBytes);
        this.dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = intAt(header, 4 + 4 * i);
            // The count may be 0; image sides may not, or every size below is meaningless.
            if (dims[i] < (i == 0 ? 0 : 1)) {
                throw new DataFormatException(location, "invalid header: dimension " + i + " is " + dims[i]);
            }
        }
    }

    /**
     * Opens {@code baseName}, or {@code baseName.gz} when only that exists, and validates the
     * magic number and dimensions.
     */
    static IdxFile open(DataFolder folder, String baseName, int magic, int rank) throws IOException {
        String name = DataFiles.find(folder, baseName, baseName + ".gz");
        InputStream in = DataFiles.openMaybeGzipped(folder, name);
        try {
            return new IdxFile(folder.locate(name), in, magic, rank);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    String location() {
        return location;
    }

    /** Header dimension {@code i}: 0 is the item count, then e.g. rows and columns. */
    int dim(int i) {
        return dims[i];
    }

    /** The file length the header implies when each item is {@code itemBytes} bytes. */
    long expectedLength(long itemBytes) {
        return headerBytes + dims[0] * itemBytes;
    }

    /** Reads exactly {@code len} body bytes; a short read means the file is shorter than {@code expectedLength}. */
    void requireBytes(byte[] buf, int off, int len, long expectedLength) throws IOException {
        int n = DataFiles.readFully(in, buf, off, len);
        bytesRead += n;
        if (n < len) {
            // At end of stream, so bytesRead is the real length of the (decompressed) file.
            throw new DataFormatException(location,
                    "truncated: expected " + expectedLength + " bytes, found " + bytesRead);
        }
    }

    /** Reads the rest of the file and fails unless its total length is exactly {@code expectedLength}. */
    void requireLength(long expectedLength) throws IOException {
        bytesRead += DataFiles.drain(in);
        if (bytesRead < expectedLength) {
            throw new DataFormatException(location,
                    "truncated: expected " + expectedLength + " bytes, found " + bytesRead);
        }
        if (bytesRead > expectedLength) {
            throw new DataFormatException(location,
                    "wrong length: expected " + expectedLength + " bytes, found " + bytesRead + " (trailing data)");
        }
    }

    private static int intAt(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
