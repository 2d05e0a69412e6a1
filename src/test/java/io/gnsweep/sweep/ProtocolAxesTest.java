package io.gnsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.model.Model;
import io.gnsweep.optim.LrSchedule;
import io.gnsweep.train.Protocol;
import io.gnsweep.train.TrialSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The training-protocol keys of a spec: applied to every trial, swept where asked, sweep ids kept. */
class ProtocolAxesTest {

    private static List<String> ids(SweepSpec s) {
        return s.trials().stream().map(TrialSpec::trialId).toList();
    }

    @Test
    void protocolKeysUnderTrainReachEveryTrial() {
        SweepSpec s = SweepSpec.load(null, List.of("model=resnet", "model-depth=32", "axes.groups=[4]",
                "train.optimizer=sgd", "train.momentum=0.85", "train.nesterov=true", "train.weight-decay=5e-4",
                "train.lr-schedule=step", "train.lr-milestones=[0.4,0.8]", "train.lr-decay=0.2",
                "train.warmup-epochs=0.5", "train.augment=crop-flip", "train.lr-scaling=linear", "train.lr=0.1"));
        for (TrialSpec t : s.trials()) {
            assertEquals(new Protocol(Protocol.Optimizer.SGD, 0.85, true, 5e-4, LrSchedule.Kind.STEP,
                    List.of(0.4, 0.8), 0.2, 0.5, Protocol.Augment.CROP_FLIP), t.protocol());
            assertEquals(Model.RESNET, t.model());
            assertEquals(32, t.modelDepth());
            assertTrue(t.effectiveZeroInitLastNorm());
            assertEquals(0.1 * t.batchSize() / 32, t.lr(), 1e-15, "linear scaling sets the schedule's base rate");
        }
        assertEquals(List.of("batch-bs4-d32-sgd-wd5e-4-s1", "batch-bs64-d32-sgd-wd5e-4-s1",
                "group-g4-bs4-d32-sgd-wd5e-4-s1", "group-g4-bs64-d32-sgd-wd5e-4-s1"), ids(s));
    }

    @Test
    void weightDecayOptimizerAndDepthAreAxesWithTheirOwnIds() {
        SweepSpec s = SweepSpec.load(null, List.of("model=resnet", "axes.model-depth=[20,56]",
                "axes.optimizer=[adam,sgd]", "axes.weight-decay=[0,1e-4]", "axes.norm=[group]", "axes.groups=[8]",
                "axes.batch-size=[32]", "axes.seed=[1]"));
        assertEquals(List.of("group-g8-bs32-d20-s1", "group-g8-bs32-d20-wd1e-4-s1", "group-g8-bs32-d20-sgd-s1",
                "group-g8-bs32-d20-sgd-wd1e-4-s1", "group-g8-bs32-d56-s1", "group-g8-bs32-d56-wd1e-4-s1",
                "group-g8-bs32-d56-sgd-s1", "group-g8-bs32-d56-sgd-wd1e-4-s1"), ids(s));
        assertEquals(1e-4, s.trials().get(7).protocol().weightDecay(), 0.0);
        assertEquals(56, s.trials().get(7).modelDepth());
        assertEquals(Protocol.Optimizer.ADAM, s.trials().get(4).protocol().optimizer());
        assertEquals(8, s.trials().stream().map(TrialSpec::trialId).distinct().count());
    }

    @Test
    void specsWrittenBeforeTheProtocolKeysKeepTheirSweepIds() throws Exception {
        // the committed study results were written by these specs before the keys existed
        Pattern id = Pattern.compile("\"sweep_id\" : \"([0-9a-f]+)\"");
        for (String name : List.of("study-batch", "study-groups")) {
            Matcher m = id.matcher(Files.readString(Path.of("docs/study/" + name + "/spec.json")));
            assertTrue(m.find());
            assertEquals(m.group(1), SweepSpec.load(Path.of("conf/sweeps/" + name + ".conf"), List.of()).sweepId(), name);
        }
        String plain = SweepSpec.load(null, List.of()).sweepId();
        assertEquals(plain, SweepSpec.load(null, List.of("train.optimizer=adam", "train.augment=none")).sweepId());
        assertNotEquals(plain, SweepSpec.load(null, List.of("train.augment=crop-flip")).sweepId());
        assertNotEquals(plain, SweepSpec.load(null, List.of("axes.weight-decay=[0,1e-4]")).sweepId());
    }

    @Test
    void theDefaultsAreTheProtocolTrialsRanBefore() {
        for (TrialSpec t : SweepSpec.load(null, List.of()).trials()) {
            assertEquals(Protocol.DEFAULT, t.protocol());
            assertNull(t.zeroInitLastNorm());
            assertTrue(!t.effectiveZeroInitLastNorm());
        }
    }
}
