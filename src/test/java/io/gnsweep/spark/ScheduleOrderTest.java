package io.gnsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.sweep.SweepSpec;
import io.gnsweep.train.TrialSpec;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order trials go to Spark in: seed by seed as the spec lists them, longest first within a seed. */
class ScheduleOrderTest {

    @Test
    void everyCellsFirstSeedComesBeforeAnySecondSeed() {
        SweepSpec spec = SweepSpec.load(Path.of("conf/sweeps/fashion-resnet-batch.conf"), List.of());
        List<TrialSpec> order = SweepJob.scheduleOrder(spec.trials(), spec.trials());
        assertEquals(new HashSet<>(spec.trials()), new HashSet<>(order));
        assertEquals(spec.trials().size(), order.size());
        int cells = spec.trials().size() / 3;
        for (int i = 0; i < order.size(); i++) {
            assertEquals(1 + i / cells, order.get(i).seed(), "position " + i + ": " + order.get(i).trialId());
        }
        // within a seed: batch 2 (the slowest per image) first, batch 32 last
        assertEquals(2, order.get(0).batchSize());
        assertEquals(32, order.get(cells - 1).batchSize());
        for (int i = 1; i < cells; i++) {
            assertTrue(SweepJob.cost(order.get(i - 1)) >= SweepJob.cost(order.get(i)), "longest first at " + i);
        }
    }

    @Test
    void seedsKeepTheSpecsOrderNotTheirNumericOrder() {
        SweepSpec spec = SweepSpec.load(null, List.of("axes.norm=[group]", "axes.seed=[7,3]", "axes.batch-size=[8,64]"));
        List<TrialSpec> order = SweepJob.scheduleOrder(spec.trials(), spec.trials());
        assertEquals(List.of(7L, 7L, 3L, 3L), order.stream().map(TrialSpec::seed).toList());
        assertEquals(8, order.get(0).batchSize());
        assertEquals(64, order.get(1).batchSize());
    }

    @Test
    void aResumedSweepFinishesTheFirstSeedEverywhereFirst() {
        SweepSpec spec = SweepSpec.load(Path.of("conf/sweeps/fashion-resnet-batch.conf"), List.of());
        // batch 2's first seed is done (both norms): the trials left start with the first seed's other cells
        List<TrialSpec> todo = spec.trials().stream()
                .filter(t -> !(t.batchSize() == 2 && t.seed() == 1)).toList();
        List<TrialSpec> order = SweepJob.scheduleOrder(todo, spec.trials());
        for (int i = 0; i < 8; i++) {
            assertEquals(1, order.get(i).seed(), "position " + i + ": " + order.get(i).trialId());
        }
        assertEquals(4, order.get(0).batchSize());
        assertEquals(2, order.get(8).seed());
        assertEquals(2, order.get(8).batchSize());
    }
}
