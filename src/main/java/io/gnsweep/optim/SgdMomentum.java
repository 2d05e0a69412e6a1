package io.gnsweep.optim;

import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * SGD with momentum in PyTorch's form ({@code torch.optim.SGD}, dampening 0), the optimiser of Wu &amp; He and of
 * He et al.'s CIFAR ResNets. With gradient g (weight decay already added by DL4J's L2 regularisation), velocity
 * v and momentum mu:
 * <pre>
 *   v = mu * v + g
 *   update = lr * v               (heavy ball)
 *   update = lr * (g + mu * v)    (nesterov = true)
 * </pre>
 * and DL4J subtracts the update from the parameters. DL4J's own {@code Nesterovs} keeps lr inside the velocity
 * (v = mu * v - lr * g), which differs from this whenever the rate changes (warm-up, step decay), and DL4J has
 * no heavy-ball updater; hence this one. With {@code mu = 0} it is plain SGD.
 */
public final class SgdMomentum implements IUpdater {
    private static final long serialVersionUID = 1L;

    @JsonProperty private double learningRate;
    @JsonProperty private ISchedule learningRateSchedule;
    @JsonProperty private double momentum;
    @JsonProperty private boolean nesterov;

    /** For JSON deserialisation. */
    public SgdMomentum() {}

    public SgdMomentum(double learningRate, ISchedule schedule, double momentum, boolean nesterov) {
        this.learningRate = learningRate;
        this.learningRateSchedule = schedule;
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    public double getMomentum() {
        return momentum;
    }

    public boolean isNesterov() {
        return nesterov;
    }

    @Override
    public long stateSize(long numParams) {
        return momentum == 0 ? 0 : numParams;
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        Updater u = new Updater(this);
        if (momentum != 0) {
            u.setStateViewArray(viewArray, viewArray.shape(), viewArray.ordering(), initializeViewArray);
        }
        return u;
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> state, boolean initializeStateArrays) {
        Updater u = new Updater(this);
        u.setState(state, initializeStateArrays);
        return u;
    }

    @Override
    public SgdMomentum clone() {
        return new SgdMomentum(learningRate, learningRateSchedule == null ? null : learningRateSchedule.clone(),
                momentum, nesterov);
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return learningRateSchedule != null ? learningRateSchedule.valueAt(iteration, epoch) : learningRate;
    }

    @Override
    public boolean hasLearningRate() {
        return true;
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule schedule) {
        this.learningRate = lr;
        this.learningRateSchedule = schedule;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SgdMomentum s && s.learningRate == learningRate && s.momentum == momentum
                && s.nesterov == nesterov && Objects.equals(s.learningRateSchedule, learningRateSchedule);
    }

    @Override
    public int hashCode() {
        return Objects.hash(learningRate, learningRateSchedule, momentum, nesterov);
    }

    @Override
    public String toString() {
        return "SgdMomentum(lr " + learningRate + (learningRateSchedule == null ? "" : ", " + learningRateSchedule)
                + ", momentum " + momentum + (nesterov ? ", nesterov" : "") + ")";
    }

    /** The per-block state: the velocity, a view of DL4J's updater state array. */
    static final class Updater implements GradientUpdater<SgdMomentum> {
        private static final String VELOCITY = "V";
        private final SgdMomentum config;
        private INDArray velocity;

        Updater(SgdMomentum config) {
            this.config = config;
        }

        @Override
        public SgdMomentum getConfig() {
            return config;
        }

        @Override
        public void setState(Map<String, INDArray> state, boolean initialize) {
            if (config.momentum == 0) {
                return;
            }
            if (state == null || !state.containsKey(VELOCITY)) {
                throw new IllegalStateException("SgdMomentum state needs key " + VELOCITY);
            }
            velocity = state.get(VELOCITY);
            if (initialize) {
                velocity.assign(0);
            }
        }

        @Override
        public Map<String, INDArray> getState() {
            return velocity == null ? Map.of() : Map.of(VELOCITY, velocity);
        }

        @Override
        public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
            if (!viewArray.isRowVectorOrScalar()) {
                throw new IllegalArgumentException("invalid state view array: not a row vector");
            }
            if (initialize) {
                viewArray.assign(0);
            }
            velocity = viewArray.reshape(gradientOrder, gradientShape);
        }

        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            double lr = config.getLearningRate(iteration, epoch);
            double mu = config.momentum;
            if (mu != 0 && velocity == null) {
                throw new IllegalStateException("SgdMomentum: updater state not set");
            }
            FusedStep.Target step = FusedStep.target(gradient);
            if (step != null) {
                // division, L2, update and the parameters' step in one pass (FusedStep); else DL4J's passes
                if (UpdaterKernels.sgdStep(gradient, mu != 0 ? velocity : null, step.params(), step.batchSize(),
                        step.starts(), step.l2(iteration, epoch), lr, mu, config.nesterov)) {
                    step.applied();
                    return;
                }
                step.beforeUpdater(gradient, iteration, epoch);
            }
            // one fused pass on the CPU backend, the same operations as below (UpdaterKernels)
            if (UpdaterKernels.sgd(gradient, mu != 0 ? velocity : null, lr, mu, config.nesterov)) {
                return;
            }
            if (mu != 0) {
                velocity.muli(mu).addi(gradient);                   // v = mu * v + g
                if (config.nesterov) {
                    gradient.addi(velocity.mul(mu));                 // g + mu * v
                } else {
                    gradient.assign(velocity);                       // v
                }
            }
            gradient.muli(lr);
        }
    }
}
