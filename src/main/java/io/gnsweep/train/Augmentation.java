package io.gnsweep.train;

import java.util.SplittableRandom;

/**
 * {@code crop-flip}: the CIFAR augmentation of He et al. and of torchvision's {@code RandomCrop(size, padding=4)}
 * then {@code RandomHorizontalFlip()}: each training image is padded by 4 pixels of 0 (black, the fill value of
 * torchvision's default, and the value Fashion-MNIST's own border and its 28-to-32 padding have), cropped back
 * to its size at a random offset in [0, 8] x [0, 8], and flipped left-right with probability 0.5.
 *
 * <p>The draws for an image come from a generator seeded by (trial seed, epoch, image index) alone, so an
 * image gets the same crop in an epoch whichever executor, thread or batch order trains it: trials stay
 * deterministic and {@code local[1]} gives what {@code local[2]} gives.
 */
final class Augmentation {
    static final int PAD = 4;
    private final long seed;

    Augmentation(long seed) {
        this.seed = seed;
    }

    /** The crop offsets and flip of image {@code img} in {@code epoch}: {dy, dx, flip (0/1)}. */
    int[] draw(int img, int epoch) {
        SplittableRandom r = new SplittableRandom(mix(seed, epoch, img));
        int dy = r.nextInt(2 * PAD + 1);
        int dx = r.nextInt(2 * PAD + 1);
        int flip = r.nextBoolean() ? 1 : 0;
        return new int[] {dy, dx, flip};
    }

    /** Writes the augmented image {@code img} of {@code pixels} (CHW) to {@code out} at {@code offset}. */
    void apply(float[] pixels, int img, float[] out, int offset, int channels, int height, int width, int epoch) {
        int[] d = draw(img, epoch);
        int dy = d[0] - PAD;
        int dx = d[1] - PAD;
        boolean flip = d[2] == 1;
        int imageSize = channels * height * width;
        int src = img * imageSize;
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                int sy = y + dy;
                int row = offset + (c * height + y) * width;
                if (sy < 0 || sy >= height) {
                    java.util.Arrays.fill(out, row, row + width, 0f);
                    continue;
                }
                int srcRow = src + (c * height + sy) * width;
                for (int x = 0; x < width; x++) {
                    int sx = (flip ? width - 1 - x : x) + dx;
                    out[row + x] = sx < 0 || sx >= width ? 0f : pixels[srcRow + sx];
                }
            }
        }
    }

    /** A 64-bit mix of the three numbers (SplittableRandom then scrambles it further). */
    static long mix(long seed, int epoch, int img) {
        long h = seed * 0x9E3779B97F4A7C15L;
        h ^= (epoch + 1L) * 0xC2B2AE3D27D4EB4FL;
        h ^= (img + 1L) * 0x165667B19E3779F9L;
        return h ^ (h >>> 31);
    }
}
