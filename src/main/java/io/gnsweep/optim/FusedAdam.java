package io.gnsweep.optim;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * DL4J's {@link Adam}, the same configuration and the same arithmetic (libnd4j's {@code adam_updater}, bit for
 * bit), with the update done by one fused pass over gradient and state on ND4J's CPU backend
 * ({@link UpdaterKernels}); elsewhere (the CUDA backend, kernels off or not loaded) it runs DL4J's own op. On a
 * small network at batch 2 DL4J's Adam took a quarter of every training step (docs/speed.md). It is an
 * {@code Adam}, so whatever reads DL4J's Adam settings reads these.
 */
public final class FusedAdam extends Adam {
    private static final long serialVersionUID = 1L;

    /** For JSON deserialisation: DL4J's defaults. */
    public FusedAdam() {}

    public FusedAdam(double learningRate, double beta1, double beta2, double epsilon) {
        super(learningRate, beta1, beta2, epsilon);
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        Updater u = new Updater(this);
        INDArray flat = viewArray.reshape(viewArray.length());
        long[] gradientShape = flat.shape().clone();
        gradientShape[0] /= 2;
        u.setStateViewArray(flat, gradientShape, flat.ordering(), initializeViewArray);
        return u;
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> state, boolean initializeStateArrays) {
        Updater u = new Updater(this);
        u.setState(state, initializeStateArrays);
        return u;
    }

    @Override
    public FusedAdam clone() {
        FusedAdam c = new FusedAdam(getLearningRate(), getBeta1(), getBeta2(), getEpsilon());
        ISchedule s = getLearningRateSchedule();
        c.setLearningRateSchedule(s == null ? null : s.clone());
        return c;
    }

    @Override
    public String toString() {
        return "FusedAdam(" + super.toString() + ")";
    }

    /** DL4J's Adam updater, its update fused where the kernels apply. */
    static final class Updater extends AdamUpdater {
        Updater(FusedAdam config) {
            super(config);
        }

        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            INDArray m = getM();
            INDArray v = getV();
            Adam c = getConfig();
            double lr = c.getLearningRate(iteration, epoch);
            FusedStep.Target step = FusedStep.target(gradient);
            if (step != null) {
                // division, L2, update and the parameters' step in one pass (FusedStep); else DL4J's passes
                if (m != null && v != null && UpdaterKernels.adamStep(gradient, m, v, step.params(),
                        step.batchSize(), step.starts(), step.l2(iteration, epoch), lr, c.getBeta1(), c.getBeta2(),
                        c.getEpsilon(), iteration)) {
                    step.applied();
                    return;
                }
                step.beforeUpdater(gradient, iteration, epoch);
            }
            if (m == null || v == null || !UpdaterKernels.adam(gradient, m, v, lr, c.getBeta1(), c.getBeta2(),
                    c.getEpsilon(), iteration)) {
                super.applyUpdater(gradient, iteration, epoch);
            }
        }
    }
}
