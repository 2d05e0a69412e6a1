package io.gnsweep.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The normalisation placed after every convolution of a network. */
public enum NormKind {
    /** No normalisation; the convolutions keep their biases. */
    NONE,
    /**
     * BatchNorm with DL4J's BatchNormalization semantics (gnsweep's {@code BatchNorm} layer, on fused CPU kernels):
     * statistics over (N, H, W) per channel, running averages for inference.
     */
    BATCH,
    /** GroupNorm with the trial's group count G. */
    GROUP,
    /** GroupNorm with G = 1: LayerNorm over (C, H, W). */
    LAYER,
    /** GroupNorm with G = C: InstanceNorm over (H, W). */
    INSTANCE;

    /** The lower-case name used in specs, ids and tables (e.g. {@code group}). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the group count is an axis of this kind (only {@link #GROUP}). */
    public boolean usesGroups() {
        return this == GROUP;
    }

    /** Parses a spec value ({@code none | batch | group | layer | instance}, any case). */
    public static NormKind parse(String value) {
        for (NormKind k : values()) {
            if (k.id().equalsIgnoreCase(value.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown norm '" + value + "' (expected one of " + ids() + ")");
    }

    /** All ids, for messages: {@code none | batch | group | layer | instance}. */
    public static String ids() {
        return Arrays.stream(values()).map(NormKind::id).collect(Collectors.joining(" | "));
    }
}
