package io.gnsweep.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The architectures gnsweep trains. Each is a stack of blocks; a block is a list of 3x3 convolutions
 * (padding 1), each followed by the normalisation and ReLU, and closed by a 2x2 max-pool; a dense softmax
 * output of {@code classes} follows the last block.
 */
public enum Model {
    /** A small CNN for 28x28 grayscale images: [32, 32] pool [64, 64] pool, then softmax. */
    SMALL_CNN("small-cnn", new int[][] {{32, 32}, {64, 64}}, 28),
    /** labml.ai's CIFAR-10 VGG: [64,64] [128,128] [256,256,256] [512,512,512] [512,512,512], 32x32 input. */
    VGG_CIFAR("vgg-cifar", new int[][] {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}}, 32);

    private final String id;
    private final int[][] blocks;
    private final int nativeSize;

    Model(String id, int[][] blocks, int nativeSize) {
        this.id = id;
        this.blocks = blocks;
        this.nativeSize = nativeSize;
    }

    /** The name used in specs and tables, e.g. {@code small-cnn}. */
    public String id() {
        return id;
    }

    /**
     * The smallest square input the model is built for (28 for small-cnn, 32 for vgg-cifar); smaller
     * images are padded to it by the caller (as LeNet padded MNIST to 32x32).
     */
    public int inputSize() {
        return nativeSize;
    }

    /** Output channels of each block's convolutions at the given width multiplier (at least 1 each). */
    public int[][] blocks(double width) {
        int[][] out = new int[blocks.length][];
        for (int b = 0; b < blocks.length; b++) {
            out[b] = Arrays.stream(blocks[b]).map(c -> Math.max(1, (int) Math.round(c * width))).toArray();
        }
        return out;
    }

    /** The channel count of every normalised layer, in order: each must be divisible by the group count. */
    public List<Integer> normalisedChannels(double width) {
        List<Integer> out = new ArrayList<>();
        for (int[] block : blocks(width)) {
            for (int c : block) {
                out.add(c);
            }
        }
        return out;
    }

    /** Parses a spec value, e.g. {@code small-cnn}. */
    public static Model parse(String value) {
        for (Model m : values()) {
            if (m.id.equalsIgnoreCase(value.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown model '" + value + "' (expected one of " + ids() + ")");
    }

    /** All ids, for messages. */
    public static String ids() {
        return Arrays.stream(values()).map(Model::id).collect(Collectors.joining(" | "));
    }
}
