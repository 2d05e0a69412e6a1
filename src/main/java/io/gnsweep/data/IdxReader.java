package io.gnsweep.data;

import java.io.IOException;

/**
 * Reads one split of an MNIST-style dataset: an {@code <split>-images-idx3-ubyte} and an
 * {@code <split>-labels-idx1-ubyte} file, each plain or gzipped.
 */
final class IdxReader {

    static final int NUM_CLASSES = 10;
    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {
    }

    /** Loads the first {@code limit} images of {@code split} ("train" or "t10k"); null means all. */
    static ImageDataset load(String name, DataFolder folder, String split, Integer limit) throws IOException {
        try (IdxFile images = openImages(folder, split); IdxFile labels = openLabels(folder, split)) {
            int count = requireSameCount(images, labels);
            int n = limit == null ? count : Math.min(limit, count);
            int[] labelValues = readLabels(labels, n);
            float[] pixels = readPixels(images, n);
            return new ImageDataset(name, pixels, labelValues, 1, images.dim(1), images.dim(2), NUM_CLASSES);
        }
    }

    /**
     * Validates {@code split} end to end: headers, counts, every label and exact file lengths.
     * Pixel bytes are only counted, not converted.
     */
    static void check(DataFolder folder, String split) throws IOException {
        try (IdxFile images = openImages(folder, split); IdxFile labels = openLabels(folder, split)) {
            int count = requireSameCount(images, labels);
            readLabels(labels, count);
            labels.requireLength(labels.expectedLength(1));
            images.requireLength(images.expectedLength(imageBytes(images)));
        }
    }

    private static IdxFile openImages(DataFolder folder, String split) throws IOException {
        return IdxFile.open(folder, split + "-images-idx3-ubyte", IMAGES_MAGIC, 3);
    }

    private static IdxFile openLabels(DataFolder folder, String split) throws IOException {
        return IdxFile.open(folder, split + "-labels-idx1-ubyte", LABELS_MAGIC, 1);
    }

    private static int requireSameCount(IdxFile images, IdxFile labels) throws DataFormatException {
        if (images.dim(0) != labels.dim(0)) {
            throw new DataFormatException(labels.location(), "has " + labels.dim(0) + " labels but "
                    + images.location() + " has " + images.dim(0) + " images (count mismatch)");
        }
        return images.dim(0);
    }

    private static long imageBytes(IdxFile images) {
        return (long) images.dim(1) * images.dim(2);
    }

    private static int[] readLabels(IdxFile labels, int n) throws IOException {
        byte[] raw = new byte[n];
        labels.requireBytes(raw, 0, n, labels.expectedLength(1));
        int[] values = new int[n];
        for (int i = 0; i < n; i++) {
            values[i] = raw[i] & 0xFF;
            if (values[i] >= NUM_CLASSES) {
                throw new DataFormatException(labels.location(), "label " + values[i] + " at index " + i
                        + " is out of range 0.." + (NUM_CLASSES - 1));
            }
        }
        return values;
    }

    private static float[] readPixels(IdxFile images, int n) throws IOException {
        long total = n * imageBytes(images);
        if (total > Integer.MAX_VALUE - 8) {
            throw new DataFormatException(images.location(), n + " images of " + images.dim(1) + "x"
                    + images.dim(2) + " do not fit in one array; use a limit");
        }
        long expectedLength = images.expectedLength(imageBytes(images));
        float[] pixels = new float[(int) total];
        // Chunked so the raw bytes never need a second full-size array.
        byte[] chunk = new byte[(int) Math.min(DataFiles.BUFFER, total)];
        for (int done = 0; done < total; ) {
            int len = (int) Math.min(chunk.length, total - done);
            images.requireBytes(chunk, 0, len, expectedLength);
            Pixels.decode(chunk, 0, pixels, done, len);
            done += len;
        }
        return pixels;
    }
}
