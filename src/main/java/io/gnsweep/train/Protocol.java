package io.gnsweep.train;

import io.gnsweep.optim.LrSchedule;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * The training protocol around a network: optimiser, weight decay, learning-rate schedule and augmentation.
 * {@link #DEFAULT} is Adam at a constant rate without decay or augmentation (labml's experiment); Wu &amp; He's is
 * SGD, momentum 0.9, weight decay 1e-4, a step schedule with warm-up, crop-flip augmentation.
 *
 * @param momentum SGD's momentum in [0, 1) (optimizer = sgd only)
 * @param nesterov SGD with Nesterov momentum (optimizer = sgd only)
 * @param weightDecay L2 coefficient on convolution and dense weights (never γ, β or biases), >= 0
 * @param lrMilestones fractions of training, ascending in (0, 1), at which the step schedule multiplies the
 *     rate by {@code lrDecay}
 * @param warmupEpochs epochs of linear warm-up per iteration (may be fractional), less than the trial's epochs
 */
public record Protocol(Optimizer optimizer, double momentum, boolean nesterov, double weightDecay,
                       LrSchedule.Kind lrSchedule, List<Double> lrMilestones, double lrDecay, double warmupEpochs,
                       Augment augment) implements Serializable {

    /** Adam, constant rate, no decay, no augmentation: what every trial ran before these settings existed. */
    public static final Protocol DEFAULT = new Protocol(Optimizer.ADAM, 0.9, false, 0.0, LrSchedule.Kind.CONSTANT,
            List.of(0.5, 0.75), 0.1, 0.0, Augment.NONE);

    public Protocol {
        lrMilestones = List.copyOf(lrMilestones);
    }

    /** The optimisers, as spelled in specs. */
    public enum Optimizer {
        /** Adam, betas 0.9 / 0.999, eps 1e-8. */
        ADAM,
        /** SGD with momentum in PyTorch's form ({@link io.gnsweep.optim.SgdMomentum}). */
        SGD;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Optimizer parse(String value) {
            for (Optimizer o : values()) {
                if (o.id().equalsIgnoreCase(value.trim())) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown optimizer '" + value + "' (expected adam | sgd)");
        }
    }

    /** Training-set augmentation, as spelled in specs. */
    public enum Augment {
        NONE("none"),
        /** Pad 4 with zeros, random crop back to the input size, horizontal flip with p = 0.5. */
        CROP_FLIP("crop-flip");

        private final String id;

        Augment(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Augment parse(String value) {
            for (Augment a : values()) {
                if (a.id.equalsIgnoreCase(value.trim())) {
                    return a;
                }
            }
            throw new IllegalArgumentException("unknown augment '" + value + "' (expected none | crop-flip)");
        }
    }

    /**
     * Checks the values against each other and against the trial's epochs; throws IllegalArgumentException naming
     * the key (as the {@code train} command spells it) and the value.
     */
    public void validate(int epochs) {
        check(momentum >= 0 && momentum < 1, "momentum", momentum, "must be in [0, 1)");
        check(weightDecay >= 0 && Double.isFinite(weightDecay), "weight-decay", weightDecay, "must be >= 0");
        check(lrDecay > 0 && lrDecay <= 1, "lr-decay", lrDecay, "must be in (0, 1]");
        double previous = 0;
        for (double m : lrMilestones) {
            check(m > previous && m < 1, "lr-milestones", lrMilestones, "must be ascending fractions of training in (0, 1)");
            previous = m;
        }
        check(warmupEpochs >= 0 && Double.isFinite(warmupEpochs), "warmup-epochs", warmupEpochs, "must be >= 0");
        check(warmupEpochs < epochs, "warmup-epochs", warmupEpochs, "must be shorter than training (epochs = "
                + epochs + ")");
    }

    static void check(boolean ok, String key, Object value, String why) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s = %s: %s", key, value, why));
        }
    }
}
