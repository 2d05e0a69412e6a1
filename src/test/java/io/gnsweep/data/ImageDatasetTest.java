package io.gnsweep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageDatasetTest {

    /** n images of c x h x w whose pixel at flat index i is i (distinct, so positions are checkable). */
    private static ImageDataset counting(int n, int c, int h, int w) {
        float[] pixels = new float[n * c * h * w];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = i;
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
        }
        return new ImageDataset("t", pixels, labels, c, h, w, 10);
    }

    @Test
    void exposesShape() {
        ImageDataset d = counting(4, 3, 2, 5);
        assertEquals(4, d.size());
        assertEquals(3, d.channels());
        assertEquals(2, d.height());
        assertEquals(5, d.width());
        assertEquals(30, d.imageSize());
        assertEquals(10, d.numClasses());
        assertEquals("t", d.name());
    }

    @Test
    void rejectsPixelCountNotMatchingShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset("bad", new float[5], new int[1], 1, 2, 2, 10));
        assertTrue(e.getMessage().contains("need 4 pixels, got 5"), e.getMessage());
    }

    @Test
    void rejectsLabelOutOfRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset("bad", new float[2], new int[] {0, 10}, 1, 1, 1, 10));
        assertTrue(e.getMessage().contains("label 10 of image 1"), e.getMessage());
    }

    @Test
    void limitKeepsFirstImages() {
        ImageDataset d = counting(5, 1, 2, 2);
        ImageDataset first = d.limit(2);
        assertEquals(2, first.size());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, first.pixels());
        assertArrayEquals(new int[] {0, 1}, first.labels());
        assertEquals(5, d.size(), "original unchanged");
    }

    @Test
    void limitAtOrAboveSizeReturnsSameInstance() {
        ImageDataset d = counting(3, 1, 2, 2);
        assertSame(d, d.limit(3));
        assertSame(d, d.limit(100));
    }

    @Test
    void limitBelowOneIsRejected() {
        ImageDataset d = counting(3, 1, 2, 2);
        assertThrows(IllegalArgumentException.class, () -> d.limit(0));
        assertThrows(IllegalArgumentException.class, () -> d.limit(-1));
    }

    @Test
    void padToCentresEachPlaneOnBlackCanvas() {
        // 2 images x 2 channels of 2x3, padded to 4x5: margin 1 on every side.
        ImageDataset d = counting(2, 2, 2, 3);
        ImageDataset p = d.padTo(4, 5);
        assertEquals(4, p.height());
        assertEquals(5, p.width());
        assertEquals(2 * 2 * 4 * 5, p.pixels().length);
        assertArrayEquals(d.labels(), p.labels());
        for (int plane = 0; plane < 4; plane++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 5; x++) {
                    float got = p.pixels()[plane * 20 + y * 5 + x];
                    boolean inside = y >= 1 && y <= 2 && x >= 1 && x <= 3;
                    float want = inside ? plane * 6 + (y - 1) * 3 + (x - 1) : -1f;
                    assertEquals(want, got, "plane " + plane + " y " + y + " x " + x);
                }
            }
        }
    }

    @Test
    void padToMnistLikeLeNetPutsTwoPixelBorder() {
        ImageDataset d = counting(1, 1, 28, 28);
        ImageDataset p = d.padTo(32, 32);
        float[] px = p.pixels();
        assertEquals(-1f, px[0]);
        assertEquals(-1f, px[1 * 32 + 1]);
        assertEquals(0f, px[2 * 32 + 2], "source (0,0) lands at (2,2)");
        assertEquals(27 * 28 + 27, px[29 * 32 + 29], "source (27,27) lands at (29,29)");
        assertEquals(-1f, px[30 * 32 + 30]);
    }

    @Test
    void padToOddMarginPutsExtraPixelAtBottomRight() {
        ImageDataset p = counting(1, 1, 1, 1).padTo(2, 2);
        assertArrayEquals(new float[] {0f, -1f, -1f, -1f}, p.pixels());
    }

    @Test
    void padToSameSizeReturnsSameInstanceAndSmallerIsRejected() {
        ImageDataset d = counting(1, 1, 4, 4);
        assertSame(d, d.padTo(4, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.padTo(3, 8));
        assertTrue(e.getMessage().contains("smaller"), e.getMessage());
    }
}
