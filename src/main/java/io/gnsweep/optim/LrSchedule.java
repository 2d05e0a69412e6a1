package io.gnsweep.optim;

import java.util.Arrays;
import java.util.Locale;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The learning rate at each iteration of a trial: a linear warm-up, then a constant, step or cosine decay.
 * A pure function of the iteration (0-based, counted over the whole trial), so it can be checked against a hand
 * computation and is the same whichever executor runs the trial.
 *
 * <ul>
 *   <li>warm-up: {@code lr(t) = base * (t + 1) / W} for {@code t < W} warm-up iterations (PyTorch's
 *       {@code LinearLR} reaching the base rate at iteration W; the first step is {@code base / W}, not 0);</li>
 *   <li>{@code step}: {@code base * decay^k}, k = the number of milestones {@code m} with {@code t >= m * T}
 *       (T = total iterations; PyTorch's {@code MultiStepLR} with milestones as fractions of training);</li>
 *   <li>{@code cosine}: {@code base * (1 + cos(pi * (t - W) / (T - W))) / 2} after the warm-up
 *       ({@code CosineAnnealingLR} over the iterations that follow it, reaching 0 at T);</li>
 *   <li>{@code constant}: {@code base}.</li>
 * </ul>
 * The warm-up multiplies whatever the schedule gives at the same iteration for {@code step} (its milestones
 * count from the start of training, as in Goyal et al.), and precedes the cosine.
 */
public final class LrSchedule implements ISchedule {
    private static final long serialVersionUID = 1L;

    /** The schedule kinds, as spelled in specs. */
    public enum Kind {
        CONSTANT, STEP, COSINE;

        /** The lower-case name used in specs and tables. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@code constant | step | cosine}. */
        public static Kind parse(String value) {
            for (Kind k : values()) {
                if (k.id().equalsIgnoreCase(value.trim())) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown lr-schedule '" + value + "' (expected constant | step | cosine)");
        }
    }

    @JsonProperty private Kind kind;
    @JsonProperty private double base;
    @JsonProperty private long totalIterations;
    @JsonProperty private long warmupIterations;
    @JsonProperty private long[] milestoneIterations;
    @JsonProperty private double decay;

    /** For JSON deserialisation. */
    public LrSchedule() {}

    /**
     * @param milestones fractions of training, ascending in (0, 1) (step only)
     * @param warmupIterations iterations of linear warm-up, less than {@code totalIterations}
     */
    public LrSchedule(Kind kind, double base, long totalIterations, long warmupIterations, double[] milestones,
                      double decay) {
        if (totalIterations < 1 || warmupIterations < 0 || warmupIterations >= totalIterations) {
            throw new IllegalArgumentException("schedule of " + totalIterations + " iterations with "
                    + warmupIterations + " of warm-up");
        }
        this.kind = kind;
        this.base = base;
        this.totalIterations = totalIterations;
        this.warmupIterations = warmupIterations;
        this.milestoneIterations = new long[milestones.length];
        for (int i = 0; i < milestones.length; i++) {
            // the first iteration at or past the fraction: 0.5 of 10 iterations is iteration 5
            milestoneIterations[i] = (long) Math.ceil(milestones[i] * totalIterations - 1e-9);
        }
        this.decay = decay;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        return at(iteration);
    }

    /** The learning rate of iteration {@code t} (0-based). */
    public double at(long t) {
        double warm = t < warmupIterations ? (double) (t + 1) / warmupIterations : 1.0;
        switch (kind) {
            case STEP: {
                int passed = 0;
                for (long m : milestoneIterations) {
                    passed += t >= m ? 1 : 0;
                }
                return base * warm * Math.pow(decay, passed);
            }
            case COSINE: {
                if (t < warmupIterations) {
                    return base * warm;
                }
                double progress = Math.min(1.0, (double) (t - warmupIterations) / (totalIterations - warmupIterations));
                return base * 0.5 * (1 + Math.cos(Math.PI * progress));
            }
            default:
                return base * warm;
        }
    }

    @Override
    public ISchedule clone() {
        LrSchedule c = new LrSchedule();
        c.kind = kind;
        c.base = base;
        c.totalIterations = totalIterations;
        c.warmupIterations = warmupIterations;
        c.milestoneIterations = milestoneIterations.clone();
        c.decay = decay;
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LrSchedule s && s.kind == kind && s.base == base && s.totalIterations == totalIterations
                && s.warmupIterations == warmupIterations && Arrays.equals(s.milestoneIterations, milestoneIterations)
                && s.decay == decay;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new double[] {kind.ordinal(), base, totalIterations, warmupIterations, decay})
                * 31 + Arrays.hashCode(milestoneIterations);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "LrSchedule(%s, base %g, %d iterations, %d warm-up, milestones %s, decay %g)",
                kind.id(), base, totalIterations, warmupIterations, Arrays.toString(milestoneIterations), decay);
    }
}
