package io.gnsweep.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * An in-memory set of labelled images: pixels in NCHW order (image, channel, row, column)
 * as float32 scaled to [-1, 1], and one class label per image.
 *
 * <p>Immutable by convention: {@link #pixels()} and {@link #labels()} return the backing
 * arrays without copying, because datasets are large and are handed straight to tensor
 * constructors. Callers must not mutate them; derived sets ({@link #limit}, {@link #padTo})
 * are new objects.
 */
public final class ImageDataset {

    private final String name;
    private final float[] pixels;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final int numClasses;

    /**
     * Wraps the given arrays (not copied). {@code pixels.length} must be
     * {@code labels.length * channels * height * width} and every label in
     * {@code 0..numClasses-1}; otherwise {@link IllegalArgumentException}.
     */
    public ImageDataset(String name, float[] pixels, int[] labels,
                        int channels, int height, int width, int numClasses) {
        this.name = Objects.requireNonNull(name, "name");
        this.pixels = Objects.requireNonNull(pixels, "pixels");
        this.labels = Objects.requireNonNull(labels, "labels");
        if (channels < 1 || height < 1 || width < 1 || numClasses < 1) {
            throw new IllegalArgumentException(name + ": channels, height, width and numClasses must be >= 1, got "
                    + channels + ", " + height + ", " + width + ", " + numClasses);
        }
        long expected = (long) labels.length * channels * height * width;
        if (pixels.length != expected) {
            throw new IllegalArgumentException(name + ": " + labels.length + " images of " + channels + "x" + height
                    + "x" + width + " need " + expected + " pixels, got " + pixels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException(name + ": label " + labels[i] + " of image " + i
                        + " is out of range 0.." + (numClasses - 1));
            }
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.numClasses = numClasses;
    }

    /** A name for messages and logs, such as {@code mnist/train}. */
    public String name() {
        return name;
    }

    /** The number of images. */
    public int size() {
        return labels.length;
    }

    /** Channels per image (1 for grey, 3 for RGB). */
    public int channels() {
        return channels;
    }

    /** Image height in pixels. */
    public int height() {
        return height;
    }

    /** Image width in pixels. */
    public int width() {
        return width;
    }

    /** The number of classes; labels are in {@code 0..numClasses-1}. */
    public int numClasses() {
        return numClasses;
    }

    /** Floats per image: {@code channels * height * width}. */
    public int imageSize() {
        return channels * height * width;
    }

    /** The backing NCHW pixel array; do not mutate. */
    public float[] pixels() {
        return pixels;
    }

    /** The backing label array, one per image; do not mutate. */
    public int[] labels() {
        return labels;
    }

    /** The first {@code n} images; this set itself when {@code n >= size()}. */
    public ImageDataset limit(int n) {
        if (n < 1) {
            throw new IllegalArgumentException(name + ": limit must be >= 1, got " + n);
        }
        if (n >= size()) {
            return this;
        }
        return new ImageDataset(name, Arrays.copyOf(pixels, n * imageSize()), Arrays.copyOf(labels, n),
                channels, height, width, numClasses);
    }

    /**
     * Each image centred in a larger canvas filled with -1 (black), as LeNet pads 28x28 MNIST
     * to 32x32; an odd margin puts the extra pixel at the bottom/right. This set itself when
     * the size is unchanged.
     */
    public ImageDataset padTo(int newHeight, int newWidth) {
        if (newHeight < height || newWidth < width) {
            throw new IllegalArgumentException(name + ": cannot pad " + height + "x" + width + " images to the smaller "
                    + newHeight + "x" + newWidth);
        }
        if (newHeight == height && newWidth == width) {
            return this;
        }
        long total = (long) size() * channels * newHeight * newWidth;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + ": padded set of " + total + " pixels does not fit in one array");
        }
        float[] padded = new float[(int) total];
        Arrays.fill(padded, Pixels.BLACK);
        int top = (newHeight - height) / 2;
        int left = (newWidth - width) / 2;
        int planes = size() * channels;
        for (int plane = 0; plane < planes; plane++) {
            int src = plane * height * width;
            int dst = plane * newHeight * newWidth + top * newWidth + left;
            for (int row = 0; row < height; row++) {
                System.arraycopy(pixels, src + row * width, padded, dst + row * newWidth, width);
            }
        }
        return new ImageDataset(name, padded, labels, channels, newHeight, newWidth, numClasses);
    }

    @Override
    public String toString() {
        return name + "[" + size() + " x " + channels + "x" + height + "x" + width + ", " + numClasses + " classes]";
    }
}
