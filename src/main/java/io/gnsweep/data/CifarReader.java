package io.gnsweep.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the CIFAR-10 binary version: batch files of 3073-byte records (a label byte, then
 * 1024 red, 1024 green and 1024 blue bytes, each plane row-major 32x32), which is already
 * the CHW order {@link ImageDataset} wants.
 */
final class CifarReader {

    static final List<String> TRAIN_FILES = List.of(
            "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    static final List<String> TEST_FILES = List.of("test_batch.bin");
    /** The folder the official tarball unpacks to, accepted so users can point at the download's parent. */
    static final String SUBFOLDER = "cifar-10-batches-bin/";

    static final int CHANNELS = 3;
    static final int SIDE = 32;
    static final int NUM_CLASSES = 10;
    private static final int IMAGE_BYTES = CHANNELS * SIDE * SIDE;
    private static final int RECORD_BYTES = 1 + IMAGE_BYTES;

    private CifarReader() {
    }

    /** A batch file found in the folder, with its record count taken from its length. */
    private record Batch(String fileName, String location, long records) {
    }

    /**
     * Loads the first {@code limit} images (null means all) of {@code files}, in order. Every
     * file's presence and length is checked first, but only the records needed are read.
     */
    static ImageDataset load(String name, DataFolder folder, List<String> files, Integer limit) throws IOException {
        List<Batch> batches = locateAll(folder, files);
        long total = batches.stream().mapToLong(Batch::records).sum();
        long wanted = limit == null ? total : Math.min(limit, total);
        if (wanted * IMAGE_BYTES > Integer.MAX_VALUE - 8) {
            throw new DataFormatException(batches.get(0).location(), wanted + " CIFAR images do not fit in one array; use a limit");
        }
        int n = (int) wanted;
        float[] pixels = new float[n * IMAGE_BYTES];
        int[] labels = new int[n];
        byte[] record = new byte[RECORD_BYTES];
        int done = 0;
        for (Batch batch : batches) {
            if (done == n) {
                break;
            }
            try (InputStream in = new BufferedInputStream(folder.open(batch.fileName()), DataFiles.BUFFER)) {
                long take = Math.min(batch.records(), n - done);
                for (long r = 0; r < take; r++, done++) {
                    if (DataFiles.readFully(in, record, 0, RECORD_BYTES) < RECORD_BYTES) {
                        throw shrunk(batch, r);
                    }
                    labels[done] = label(batch, r, record[0]);
                    Pixels.decode(record, 1, pixels, done * IMAGE_BYTES, IMAGE_BYTES);
                }
            }
        }
        return new ImageDataset(name, pixels, labels, CHANNELS, SIDE, SIDE, NUM_CLASSES);
    }

    /** Validates presence, lengths and every label of {@code files}, skipping over the pixels. */
    static void check(DataFolder folder, List<String> files) throws IOException {
        for (Batch batch : locateAll(folder, files)) {
            try (InputStream in = new BufferedInputStream(folder.open(batch.fileName()), DataFiles.BUFFER)) {
                for (long r = 0; r < batch.records(); r++) {
                    int b = in.read();
                    if (b < 0) {
                        throw shrunk(batch, r);
                    }
                    label(batch, r, (byte) b);
                    try {
                        in.skipNBytes(IMAGE_BYTES);
                    } catch (EOFException e) {
                        throw shrunk(batch, r);
                    }
                }
            }
        }
    }

    private static List<Batch> locateAll(DataFolder folder, List<String> files) throws IOException {
        List<Batch> batches = new ArrayList<>(files.size());
        for (String file : files) {
            String name = DataFiles.find(folder, file, SUBFOLDER + file);
            String location = folder.locate(name);
            long length = folder.length(name);
            if (length == 0) {
                throw new DataFormatException(location, "truncated or corrupt: file is empty");
            }
            if (length % RECORD_BYTES != 0) {
                throw new DataFormatException(location,
                        "truncated or corrupt: length " + length + " is not a multiple of " + RECORD_BYTES);
            }
            batches.add(new Batch(name, location, length / RECORD_BYTES));
        }
        return batches;
    }

    private static int label(Batch batch, long record, byte raw) throws DataFormatException {
        int label = raw & 0xFF;
        if (label >= NUM_CLASSES) {
            throw new DataFormatException(batch.location(), "label " + label + " at record " + record
                    + " is out of range 0.." + (NUM_CLASSES - 1));
        }
        return label;
    }

    /** The file's length said it had more records than its stream delivered: it changed while being read. */
    private static DataFormatException shrunk(Batch batch, long record) {
        return new DataFormatException(batch.location(), "truncated: record " + record + " of "
                + batch.records() + " is incomplete (file shorter than its reported length)");
    }
}
