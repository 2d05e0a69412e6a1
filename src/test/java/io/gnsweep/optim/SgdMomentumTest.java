package io.gnsweep.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.factory.Nd4j;

/** The updates against torch.optim.SGD's rule (dampening 0), worked out step by step in plain Java. */
class SgdMomentumTest {
    @org.junit.jupiter.api.BeforeAll
    static void init() {
        // before any ND4J class: JavaCPP reads its settings once (NativeSetup, and RuntimeSetupTest in this JVM)
        io.gnsweep.runtime.NativeSetup.init();
    }


    /** Runs the updater on the gradients and returns each step's update. */
    private static double[][] updates(SgdMomentum config, double[][] grads) {
        INDArray state = Nd4j.create(DataType.DOUBLE, 1, Math.max(1, config.stateSize(grads[0].length)));
        GradientUpdater<?> u = config.instantiate(state, true);
        double[][] out = new double[grads.length][];
        for (int t = 0; t < grads.length; t++) {
            INDArray g = Nd4j.createFromArray(grads[t].clone()).reshape(1, grads[t].length);
            u.applyUpdater(g, t, 0);
            out[t] = g.toDoubleVector();
        }
        return out;
    }

    private static final double[][] GRADS = {{1.0, -2.0, 0.5}, {0.5, 1.0, -1.0}, {-3.0, 0.0, 2.0}};

    @Test
    void heavyBallAccumulatesTheVelocityAndStepsLrTimesIt() {
        double lr = 0.1;
        double mu = 0.9;
        double[][] got = updates(new SgdMomentum(lr, null, mu, false), GRADS);
        double[] v = new double[3];
        for (int t = 0; t < GRADS.length; t++) {
            double[] want = new double[3];
            for (int i = 0; i < 3; i++) {
                v[i] = mu * v[i] + GRADS[t][i];
                want[i] = lr * v[i];
            }
            assertArrayEquals(want, got[t], 1e-15, "step " + t);
        }
        // step 2, element 0 by hand: v = 0.9 * (0.9 * 1 + 0.5) - 3 = -1.74, update -0.174
        assertEquals(-0.174, got[2][0], 1e-15);
    }

    @Test
    void nesterovStepsLrTimesGradientPlusMomentumTimesVelocity() {
        double lr = 0.05;
        double mu = 0.8;
        double[][] got = updates(new SgdMomentum(lr, null, mu, true), GRADS);
        double[] v = new double[3];
        for (int t = 0; t < GRADS.length; t++) {
            double[] want = new double[3];
            for (int i = 0; i < 3; i++) {
                v[i] = mu * v[i] + GRADS[t][i];
                want[i] = lr * (GRADS[t][i] + mu * v[i]);
            }
            assertArrayEquals(want, got[t], 1e-15, "step " + t);
        }
    }

    @Test
    void theScheduleSetsEachStepsRateAndZeroMomentumIsPlainSgd() {
        LrSchedule s = new LrSchedule(LrSchedule.Kind.STEP, 1.0, 4, 0, new double[] {0.5}, 0.1);
        double[][] got = updates(new SgdMomentum(1.0, s, 0.0, false), GRADS);
        assertArrayEquals(GRADS[0], got[0], 0.0);
        assertArrayEquals(GRADS[1], got[1], 0.0);
        assertArrayEquals(new double[] {-0.3, 0.0, 0.2}, got[2], 1e-16); // iteration 2 = 0.5 of 4: lr 0.1
        assertEquals(0, new SgdMomentum(1.0, s, 0.0, false).stateSize(1000));
        assertEquals(1000, new SgdMomentum(1.0, s, 0.9, false).stateSize(1000));
    }
}
