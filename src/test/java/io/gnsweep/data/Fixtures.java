package io.gnsweep.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builds small dataset files with known contents, so tests never depend on downloads. */
final class Fixtures {

    static final int IMAGES_MAGIC = 0x803;
    static final int LABELS_MAGIC = 0x801;
    static final int CIFAR_RECORD = 3073;

    private Fixtures() {
    }

    /** The raw byte at {@code offset} of image {@code image}: image 0 byte k is k for k < 256. */
    static int pixel(int image, int offset) {
        return (image * 13 + offset) & 0xFF;
    }

    /** The label of image {@code image}. */
    static int label(int image) {
        return (image * 3 + 1) % 10;
    }

    /** What a raw byte should decode to. */
    static float scaled(int p) {
        return p / 255f * 2f - 1f;
    }

    static byte[] idxImages(int count, int rows, int cols) {
        ByteBuffer b = ByteBuffer.allocate(16 + count * rows * cols);
        b.putInt(IMAGES_MAGIC).putInt(count).putInt(rows).putInt(cols);
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < rows * cols; k++) {
                b.put((byte) pixel(i, k));
            }
        }
        return b.array();
    }

    static byte[] idxLabels(int count) {
        ByteBuffer b = ByteBuffer.allocate(8 + count);
        b.putInt(LABELS_MAGIC).putInt(count);
        for (int i = 0; i < count; i++) {
            b.put((byte) label(i));
        }
        return b.array();
    }

    /** Writes the four MNIST files, 28x28, optionally gzipped with a ".gz" name. */
    static void writeMnist(Path dir, int train, int test, boolean gz) {
        writeIdx(dir, "train-images-idx3-ubyte", idxImages(train, 28, 28), gz);
        writeIdx(dir, "train-labels-idx1-ubyte", idxLabels(train), gz);
        writeIdx(dir, "t10k-images-idx3-ubyte", idxImages(test, 28, 28), gz);
        writeIdx(dir, "t10k-labels-idx1-ubyte", idxLabels(test), gz);
    }

    static void writeIdx(Path dir, String name, byte[] content, boolean gz) {
        write(dir.resolve(gz ? name + ".gz" : name), gz ? gzip(content) : content);
    }

    /** The label of record {@code r} of CIFAR batch {@code batch} (test batch is 0). */
    static int cifarLabel(int batch, int r) {
        return (batch * 2 + r) % 10;
    }

    /** The raw pixel byte at {@code offset} (CHW) of record {@code r} of batch {@code batch}. */
    static int cifarPixel(int batch, int r, int offset) {
        return (batch * 40 + r * 7 + offset) & 0xFF;
    }

    static byte[] cifarBatch(int batch, int records) {
        byte[] out = new byte[records * CIFAR_RECORD];
        for (int r = 0; r < records; r++) {
            out[r * CIFAR_RECORD] = (byte) cifarLabel(batch, r);
            for (int k = 0; k < 3072; k++) {
                out[r * CIFAR_RECORD + 1 + k] = (byte) cifarPixel(batch, r, k);
            }
        }
        return out;
    }

    /** Writes data_batch_1..5 ({@code perBatch} records each) and test_batch ({@code test} records). */
    static void writeCifar(Path dir, int perBatch, int test) {
        for (int b = 1; b <= 5; b++) {
            write(dir.resolve("data_batch_" + b + ".bin"), cifarBatch(b, perBatch));
        }
        write(dir.resolve("test_batch.bin"), cifarBatch(0, test));
    }

    static byte[] gzip(byte[] content) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static void write(Path file, byte[] content) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
