package io.gnsweep.data;

/**
 * The byte-to-float pixel scaling shared by all formats: p / 255 * 2 - 1, the same as
 * PyTorch's ToTensor followed by Normalize(0.5, 0.5), so results are comparable with
 * PyTorch baselines.
 */
final class Pixels {

    /** A lookup table: the division is then done once per value, not once per pixel. */
    private static final float[] SCALED = new float[256];

    static {
        for (int p = 0; p < 256; p++) {
            SCALED[p] = p / 255f * 2f - 1f;
        }
    }

    /** The pixel value canvases are filled with: a 0 byte, black. */
    static final float BLACK = SCALED[0];

    private Pixels() {
    }

    /** Scales {@code len} unsigned bytes from {@code src} into {@code dst}. */
    static void decode(byte[] src, int srcOff, float[] dst, int dstOff, int len) {
        for (int i = 0; i < len; i++) {
            dst[dstOff + i] = SCALED[src[srcOff + i] & 0xFF];
        }
    }
}
