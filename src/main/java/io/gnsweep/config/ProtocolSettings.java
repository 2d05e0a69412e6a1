package io.gnsweep.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.gnsweep.optim.LrSchedule;
import io.gnsweep.train.Protocol;
import java.util.ArrayList;
import java.util.List;

/**
 * The training-protocol keys shared by {@code train} (top level) and sweep specs (under {@code train { }}):
 * {@code optimizer, momentum, nesterov, weight-decay, lr-schedule, lr-milestones, lr-decay, warmup-epochs,
 * augment}. Every problem is a {@link UsageException} naming the key as the user spelled it.
 */
public final class ProtocolSettings {
    /** The keys, in the order of the defaults files. */
    public static final List<String> KEYS = List.of("optimizer", "momentum", "nesterov", "weight-decay",
            "lr-schedule", "lr-milestones", "lr-decay", "warmup-epochs", "augment");

    private ProtocolSettings() {}

    /** Reads the keys under {@code prefix} ("" or "train.") and checks each value's type and range. */
    public static Protocol read(Config c, String prefix) {
        Protocol.Optimizer optimizer = Overrides.parse(prefix + "optimizer",
                () -> Protocol.Optimizer.parse(Overrides.getString(c, prefix + "optimizer")));
        LrSchedule.Kind schedule = Overrides.parse(prefix + "lr-schedule",
                () -> LrSchedule.Kind.parse(Overrides.getString(c, prefix + "lr-schedule")));
        Protocol.Augment augment = Overrides.parse(prefix + "augment",
                () -> Protocol.Augment.parse(Overrides.getString(c, prefix + "augment")));
        Protocol p = new Protocol(optimizer, Overrides.getDouble(c, prefix + "momentum"),
                Overrides.getBoolean(c, prefix + "nesterov"), Overrides.getDouble(c, prefix + "weight-decay"), schedule,
                doubles(c, prefix + "lr-milestones"), Overrides.getDouble(c, prefix + "lr-decay"),
                Overrides.getDouble(c, prefix + "warmup-epochs"), augment);
        return p;
    }

    /**
     * Refuses settings that would be accepted and not applied: momentum or Nesterov without SGD, milestones or a
     * decay factor without the step schedule. {@code sgdUsed}: whether any trial uses SGD.
     */
    public static void refuseInapplicable(Protocol p, boolean sgdUsed, String prefix) {
        Protocol d = Protocol.DEFAULT;
        if (!sgdUsed && p.momentum() != d.momentum()) {
            throw new UsageException(prefix + "momentum = " + p.momentum() + ": applies to optimizer = sgd only");
        }
        if (!sgdUsed && p.nesterov()) {
            throw new UsageException(prefix + "nesterov = true: applies to optimizer = sgd only");
        }
        if (p.lrSchedule() != LrSchedule.Kind.STEP && !p.lrMilestones().equals(d.lrMilestones())) {
            throw new UsageException(prefix + "lr-milestones = " + p.lrMilestones()
                    + ": applies to lr-schedule = step only");
        }
        if (p.lrSchedule() != LrSchedule.Kind.STEP && p.lrDecay() != d.lrDecay()) {
            throw new UsageException(prefix + "lr-decay = " + p.lrDecay() + ": applies to lr-schedule = step only");
        }
    }

    static List<Double> doubles(Config c, String path) {
        try {
            return new ArrayList<>(c.getDoubleList(path));
        } catch (ConfigException e) {
            throw new UsageException(path + " = " + Overrides.render(c, path) + ": expected a list of numbers");
        }
    }
}
