package io.gnsweep.train;

import io.gnsweep.model.Model;
import io.gnsweep.model.NormKind;
import java.io.Serializable;
import java.util.Locale;

/**
 * Everything that defines one training run. {@code groups} is set for {@link NormKind#GROUP} only;
 * {@code trainLimit}/{@code testLimit} (first n images) may be null for the whole set; {@code width}
 * multiplies every convolution's channel count (1 = the published architecture).
 */
public record TrialSpec(String dataset, String dataPath, Integer trainLimit, Integer testLimit,
                        Model model, double width, NormKind norm, Integer groups, int batchSize,
                        double lr, int epochs, long seed) implements Serializable {

    /** A stable, readable id from the settings that sweeps vary, e.g. {@code group-g8-bs32-s1}. */
    public String trialId() {
        StringBuilder id = new StringBuilder(norm.id());
        if (norm.usesGroups()) {
            id.append("-g").append(groups);
        }
        return id.append("-bs").append(batchSize).append("-s").append(seed).toString();
    }

    /** The group count the network uses: G for group, 1 for layer, null otherwise (instance is per layer). */
    public Integer effectiveGroups() {
        return norm.usesGroups() ? groups : norm == NormKind.LAYER ? Integer.valueOf(1) : null;
    }

    /** Checks the settings against each other; throws IllegalArgumentException naming the key and value. */
    public void validate() {
        require(batchSize >= 1, "batch-size", batchSize, "must be >= 1");
        require(epochs >= 1, "epochs", epochs, "must be >= 1");
        require(lr > 0 && Double.isFinite(lr), "lr", lr, "must be a positive number");
        require(width > 0 && Double.isFinite(width), "model-width", width, "must be > 0");
        require(trainLimit == null || trainLimit >= 1, "dataset.train-limit", trainLimit, "must be >= 1");
        require(testLimit == null || testLimit >= 1, "dataset.test-limit", testLimit, "must be >= 1");
        if (norm.usesGroups()) {
            require(groups != null && groups >= 1, "groups", groups, "must be >= 1");
            for (int c : model.normalisedChannels(width)) {
                require(c % groups == 0, "groups", groups, "does not divide the " + c
                        + " channels of a normalised layer of " + model.id());
            }
        }
    }

    private static void require(boolean ok, String key, Object value, String why) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s = %s: %s", key, value, why));
        }
    }
}
