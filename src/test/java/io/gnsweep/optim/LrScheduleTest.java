package io.gnsweep.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gnsweep.optim.LrSchedule.Kind;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.linalg.schedule.ISchedule;

/** The schedule against values worked out by hand at chosen iterations. */
class LrScheduleTest {
    @org.junit.jupiter.api.BeforeAll
    static void init() {
        // before any ND4J class: JavaCPP reads its settings once (NativeSetup, and RuntimeSetupTest in this JVM)
        io.gnsweep.runtime.NativeSetup.init();
    }

    private static final double[] MILESTONES = {0.5, 0.75};

    @Test
    void constantWithoutWarmupIsTheBaseRate() {
        LrSchedule s = new LrSchedule(Kind.CONSTANT, 0.1, 100, 0, MILESTONES, 0.1);
        for (int t : new int[] {0, 1, 50, 99}) {
            assertEquals(0.1, s.at(t), 0.0);
        }
    }

    @Test
    void warmupRisesLinearlyPerIterationToTheBaseRate() {
        // 10 warm-up iterations of 100: base * (t + 1) / 10
        LrSchedule s = new LrSchedule(Kind.CONSTANT, 0.4, 100, 10, MILESTONES, 0.1);
        assertEquals(0.04, s.at(0), 1e-15);
        assertEquals(0.2, s.at(4), 1e-15);
        assertEquals(0.36, s.at(8), 1e-15);
        assertEquals(0.4, s.at(9), 1e-15);
        assertEquals(0.4, s.at(10), 0.0);
    }

    @Test
    void stepDividesByTenAtHalfAndThreeQuartersOfTraining() {
        // 200 iterations: milestones at iterations 100 and 150
        LrSchedule s = new LrSchedule(Kind.STEP, 0.1, 200, 0, MILESTONES, 0.1);
        assertEquals(0.1, s.at(0), 0.0);
        assertEquals(0.1, s.at(99), 0.0);
        assertEquals(0.01, s.at(100), 1e-17);
        assertEquals(0.01, s.at(149), 1e-17);
        assertEquals(0.001, s.at(150), 1e-18);
        assertEquals(0.001, s.at(199), 1e-18);
        // a milestone that falls between iterations takes the first iteration past it: 0.5 of 7 is 3.5 -> 4
        LrSchedule odd = new LrSchedule(Kind.STEP, 1.0, 7, 0, new double[] {0.5}, 0.5);
        assertEquals(1.0, odd.at(3), 0.0);
        assertEquals(0.5, odd.at(4), 0.0);
    }

    @Test
    void warmupMultipliesTheStepSchedule() {
        // 100 iterations, 5 of warm-up, decay 0.2 at 0.02 (iteration 2) and 0.5 (iteration 50)
        LrSchedule s = new LrSchedule(Kind.STEP, 1.0, 100, 5, new double[] {0.02, 0.5}, 0.2);
        assertEquals(0.2, s.at(0), 1e-15);     // warm-up (0 + 1) / 5, before any milestone
        assertEquals(0.4, s.at(1), 1e-15);     // 2 / 5
        assertEquals(0.12, s.at(2), 1e-15);    // 3 / 5 * 0.2: the first milestone during the warm-up
        assertEquals(0.16, s.at(3), 1e-15);    // 4 / 5 * 0.2
        assertEquals(0.2, s.at(10), 1e-15);
        assertEquals(0.04, s.at(50), 1e-15);
    }

    @Test
    void cosineFallsFromTheBaseRateToZeroAfterTheWarmup() {
        // 110 iterations, 10 of warm-up: then base * (1 + cos(pi * (t - 10) / 100)) / 2
        LrSchedule s = new LrSchedule(Kind.COSINE, 0.1, 110, 10, MILESTONES, 0.1);
        assertEquals(0.01, s.at(0), 1e-15);
        assertEquals(0.1, s.at(10), 1e-15);
        assertEquals(0.05, s.at(60), 1e-15);                                       // halfway: cos(pi/2) = 0
        assertEquals(0.1 * (1 + Math.cos(Math.PI * 0.25)) / 2, s.at(35), 1e-15);   // a quarter: 0.0853553
        assertEquals(0.1 * (1 + Math.cos(Math.PI * 0.99)) / 2, s.at(109), 1e-15);  // the last iteration
        LrSchedule plain = new LrSchedule(Kind.COSINE, 2.0, 4, 0, MILESTONES, 0.1);
        assertEquals(2.0, plain.at(0), 1e-15);
        assertEquals(1.0 + Math.cos(Math.PI / 4), plain.at(1), 1e-15);
        assertEquals(1.0, plain.at(2), 1e-15);
    }

    @Test
    void aWarmupAsLongAsTrainingIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(Kind.STEP, 0.1, 10, 10, MILESTONES, 0.1));
    }

    @Test
    void survivesDl4jsJsonForUpdatersAndSchedules() throws Exception {
        ObjectMapper json = org.deeplearning4j.nn.conf.NeuralNetConfiguration.mapper();
        LrSchedule s = new LrSchedule(Kind.STEP, 0.1, 200, 7, MILESTONES, 0.1);
        ISchedule back = json.readValue(json.writeValueAsString(s), ISchedule.class);
        assertEquals(s, back);
        for (int t : new int[] {0, 6, 7, 99, 100, 150, 199}) {
            assertEquals(s.at(t), back.valueAt(t, 0), 0.0);
        }
        for (IUpdater u : new IUpdater[] {new SgdMomentum(0.1, s, 0.9, true),
                Adam.builder().learningRateSchedule(s).build()}) {
            IUpdater u2 = json.readValue(json.writeValueAsString(u), IUpdater.class);
            assertEquals(u, u2);
            assertEquals(u.getLearningRate(150, 0), u2.getLearningRate(150, 0), 0.0);
        }
    }
}
