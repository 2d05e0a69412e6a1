package io.gnsweep.data;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * A gzip stream whose decompression errors become {@link DataFormatException}s naming the
 * file: the JDK's own messages ("invalid block type", "Unexpected end of ZLIB input stream")
 * do not say which of several dataset files is damaged.
 */
final class GuardedGzipStream extends FilterInputStream {

    private final String location;

    GuardedGzipStream(GZIPInputStream in, String location) {
        super(in);
        this.location = location;
    }

    static DataFormatException corrupt(String location, IOException cause) {
        return new DataFormatException(location, "corrupt gzip data (" + cause.getMessage() + ")", cause);
    }

    @Override
    public int read() throws IOException {
        try {
            return super.read();
        } catch (ZipException | EOFException e) {
            throw corrupt(location, e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return super.read(b, off, len);
        } catch (ZipException | EOFException e) {
            throw corrupt(location, e);
        }
    }

    @Override
    public long skip(long n) throws IOException {
        try {
            return super.skip(n);
        } catch (ZipException | EOFException e) {
            throw corrupt(location, e);
        }
    }
}
