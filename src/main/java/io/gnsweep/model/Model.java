package io.gnsweep.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The architectures gnsweep trains. The plain CNNs are a stack of blocks; a block is a list of 3x3 convolutions
 * (padding 1), each followed by the normalisation and ReLU, and closed by a 2x2 max-pool; a dense softmax
 * output of {@code classes} follows the last block. {@link #RESNET} is He et al.'s CIFAR ResNet (2016, section
 * 4.2), built by {@link ResNet}: its depth 6n+2 is a setting of its own ({@code model-depth}).
 */
public enum Model {
    /** A small CNN for 28x28 grayscale images: [32, 32] pool [64, 64] pool, then softmax. */
    SMALL_CNN("small-cnn", new int[][] {{32, 32}, {64, 64}}, 28),
    /** labml.ai's CIFAR-10 VGG: [64,64] [128,128] [256,256,256] [512,512,512] [512,512,512], 32x32 input. */
    VGG_CIFAR("vgg-cifar", new int[][] {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}}, 32),
    /**
     * He et al.'s CIFAR ResNet: a 3x3 stem, three stages of n basic blocks with 16/32/64 channels (6n+2 layers),
     * global average pooling, softmax; 32x32 input. A ComputationGraph, see {@link ResNet}.
     */
    RESNET("resnet", null, 32);

    /** The depth of {@link #RESNET} when none is given: ResNet-20. */
    public static final int DEFAULT_DEPTH = 20;

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

    /** Whether this is a residual network (built as a DL4J ComputationGraph, with a depth setting). */
    public boolean isResidual() {
        return this == RESNET;
    }

    /** Output channels of each block's convolutions at the given width multiplier (at least 1 each). */
    public int[][] blocks(double width) {
        if (blocks == null) {
            throw new IllegalStateException(id + " has no plain blocks; see ResNet");
        }
        int[][] out = new int[blocks.length][];
        for (int b = 0; b < blocks.length; b++) {
            out[b] = Arrays.stream(blocks[b]).map(c -> Math.max(1, (int) Math.round(c * width))).toArray();
        }
        return out;
    }

    /** The channel count of every normalised layer, in order: each must be divisible by the group count. */
    public List<Integer> normalisedChannels(double width) {
        return normalisedChannels(width, DEFAULT_DEPTH);
    }

    /** As {@link #normalisedChannels(double)}, for a residual network of the given depth. */
    public List<Integer> normalisedChannels(double width, int depth) {
        if (isResidual()) {
            return ResNet.normalisedChannels(width, depth);
        }
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
