package io.gnsweep.train;

import io.gnsweep.model.Model;
import io.gnsweep.model.NormKind;
import java.io.Serializable;
import java.util.Locale;

/**
 * Everything that defines one training run. {@code groups} is set for {@link NormKind#GROUP} only;
 * {@code trainLimit}/{@code testLimit} (first n images) may be null for the whole set; {@code width}
 * multiplies every convolution's channel count (1 = the published architecture); {@code modelDepth} and
 * {@code zeroInitLastNorm} (null: the model's default, true for the ResNet) apply to {@link Model#RESNET} only;
 * {@code lr} is the base rate the protocol's schedule starts from (after any linear scaling by batch size).
 */
public record TrialSpec(String dataset, String dataPath, Integer trainLimit, Integer testLimit,
                        Model model, double width, NormKind norm, Integer groups, int batchSize,
                        double lr, int epochs, long seed, int modelDepth, Boolean zeroInitLastNorm,
                        Protocol protocol) implements Serializable {

    /** A trial under the default protocol (Adam, constant rate) and the default ResNet depth. */
    public TrialSpec(String dataset, String dataPath, Integer trainLimit, Integer testLimit, Model model, double width,
                     NormKind norm, Integer groups, int batchSize, double lr, int epochs, long seed) {
        this(dataset, dataPath, trainLimit, testLimit, model, width, norm, groups, batchSize, lr, epochs, seed,
                Model.DEFAULT_DEPTH, null, Protocol.DEFAULT);
    }

    /**
     * A stable, readable id from the settings that sweeps vary, e.g. {@code group-g8-bs32-s1}; the ResNet's depth
     * ({@code -d20}), an optimizer other than Adam ({@code -sgd}) and a weight decay other than 0
     * ({@code -wd1e-4}) are named too, so that sweeping them gives distinct ids while the ids of trials without
     * them stay as they were.
     */
    public String trialId() {
        StringBuilder id = new StringBuilder(norm.id());
        if (norm.usesGroups()) {
            id.append("-g").append(groups);
        }
        id.append("-bs").append(batchSize);
        if (model.isResidual()) {
            id.append("-d").append(modelDepth);
        }
        if (protocol.optimizer() != Protocol.Optimizer.ADAM) {
            id.append('-').append(protocol.optimizer().id());
        }
        if (protocol.weightDecay() != 0) {
            id.append("-wd").append(compact(protocol.weightDecay()));
        }
        return id.append("-s").append(seed).toString();
    }

    /** Whether γ = 0 on each residual block's last norm (the ResNet's default; never for the plain CNNs). */
    public boolean effectiveZeroInitLastNorm() {
        return model.isResidual() && (zeroInitLastNorm == null || zeroInitLastNorm);
    }

    /** 1e-4 as {@code 1e-4}, 5e-4 as {@code 5e-4}, 0.01 as {@code 0.01}: short, exact and file-name safe. */
    static String compact(double v) {
        java.math.BigDecimal d = new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros();
        if (d.scale() > 3 && d.precision() <= 3) {
            return d.unscaledValue() + "e-" + d.scale();
        }
        return d.toPlainString();
    }

    /** The group count the network uses: G for group, 1 for layer, null otherwise (instance is per layer). */
    public Integer effectiveGroups() {
        return norm.usesGroups() ? groups : norm == NormKind.LAYER ? Integer.valueOf(1) : null;
    }

    /** Checks the settings against each other; throws IllegalArgumentException naming the key and value. */
    public void validate() {
        require(batchSize >= 1, "batch-size", batchSize, "must be >= 1");
        require(seed >= 0 && seed <= Integer.MAX_VALUE, "seed", seed, "must be a whole number in [0, 2^31)");
        require(epochs >= 1, "epochs", epochs, "must be >= 1");
        require(lr > 0 && Double.isFinite(lr), "lr", lr, "must be a positive number");
        require(width > 0 && Double.isFinite(width), "model-width", width, "must be > 0");
        require(trainLimit == null || trainLimit >= 1, "dataset.train-limit", trainLimit, "must be >= 1");
        require(testLimit == null || testLimit >= 1, "dataset.test-limit", testLimit, "must be >= 1");
        if (model.isResidual()) {
            io.gnsweep.model.ResNet.blocksPerStage(modelDepth);
        } else {
            require(modelDepth == Model.DEFAULT_DEPTH, "model-depth", modelDepth, "applies to model = resnet only");
            require(zeroInitLastNorm == null || !zeroInitLastNorm, "zero-init-last-norm", zeroInitLastNorm,
                    "applies to model = resnet only (" + model.id() + " has no residual blocks)");
        }
        protocol.validate(epochs);
        if (norm.usesGroups()) {
            require(groups != null && groups >= 1, "groups", groups, "must be >= 1");
            for (int c : model.normalisedChannels(width, modelDepth)) {
                require(c % groups == 0, "groups", groups, "does not divide the " + c
                        + " channels of a normalised layer of " + model.id()
                        + (model.isResidual() ? "-" + modelDepth : "") + (width != 1.0 ? " (model-width = " + width + ")" : ""));
            }
        }
    }

    private static void require(boolean ok, String key, Object value, String why) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s = %s: %s", key, value, why));
        }
    }
}
