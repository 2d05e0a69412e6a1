package io.gnsweep.train;

import io.gnsweep.optim.FusedAdam;
import io.gnsweep.optim.LrSchedule;
import io.gnsweep.optim.SgdMomentum;
import org.nd4j.linalg.learning.config.IUpdater;

/** The DL4J updater of a trial's protocol, with its learning-rate schedule over the trial's iterations. */
public final class Optimizers {
    private Optimizers() {}

    /** The schedule of a trial of {@code stepsPerEpoch} iterations per epoch. */
    public static LrSchedule schedule(TrialSpec spec, int stepsPerEpoch) {
        Protocol p = spec.protocol();
        long total = (long) stepsPerEpoch * spec.epochs();
        long warmup = p.warmupEpochs() > 0 ? Math.max(1, Math.round(p.warmupEpochs() * stepsPerEpoch)) : 0;
        if (warmup >= total) {
            throw new IllegalArgumentException("warmup-epochs = " + p.warmupEpochs() + ": " + warmup
                    + " warm-up iterations leave none of the " + total + " iterations of training");
        }
        double[] milestones = p.lrMilestones().stream().mapToDouble(Double::doubleValue).toArray();
        return new LrSchedule(p.lrSchedule(), spec.lr(), total, warmup, milestones, p.lrDecay());
    }

    /** Adam (DL4J's, its update fused: {@link FusedAdam}; betas 0.9 / 0.999, eps 1e-8) or SGD with momentum, following {@link #schedule}. */
    public static IUpdater updater(TrialSpec spec, int stepsPerEpoch) {
        Protocol p = spec.protocol();
        boolean constant = p.lrSchedule() == LrSchedule.Kind.CONSTANT && p.warmupEpochs() == 0;
        if (p.optimizer() == Protocol.Optimizer.ADAM) {
            FusedAdam adam = new FusedAdam(spec.lr(), 0.9, 0.999, 1e-8);
            if (!constant) {
                adam.setLearningRateSchedule(schedule(spec, stepsPerEpoch));
            }
            return adam;
        }
        return new SgdMomentum(spec.lr(), constant ? null : schedule(spec, stepsPerEpoch), p.momentum(), p.nesterov());
    }
}
