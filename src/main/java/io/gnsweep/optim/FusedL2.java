package io.gnsweep.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * DL4J's {@link L2Regularization} (L2 added to the gradient before the updater, g + l2·w; the same score
 * 0.5·l2·Σw² and schedule), whose step is one pass of a fused CPU kernel ({@link UpdaterKernels#l2}) giving the bits
 * of DL4J's Axpy op, instead of an ND4J op per parameter array: DL4J applies regularization array by array, and at
 * batch 2 those ops were ~15% of a ResNet-20 training step (docs/speed.md). Its score, which DL4J adds to every
 * step's loss (and a trial computes again to report the data loss alone), is one C pass summing w² in double
 * instead of an ND4J norm2 op per array (~10% of a batch-2 ResNet step): the same value to float rounding (DL4J's
 * norm2 sums in float), the same bits every run. Elsewhere (another backend, the kernels off) DL4J's ops run. Use
 * it where DL4J takes a regularization: {@code builder.regularization(List.of(new FusedL2(5e-4)))}.
 */
public class FusedL2 extends L2Regularization {
    private static final long serialVersionUID = 1L;

    public FusedL2(double l2) {
        this(new FixedSchedule(l2));
    }

    public FusedL2(@JsonProperty("l2") ISchedule l2) {
        super(l2);
    }

    /** g += l2·w, unless a fused step (FusedStep) adds it in its own pass over these values. */
    @Override
    public void apply(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        if (!FusedStep.covers(gradView)) {
            applyNow(param, gradView, lr, iteration, epoch);
        }
    }

    /** g += l2·w now: one kernel pass, or DL4J's op where the kernels do not apply. */
    void applyNow(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        if (!UpdaterKernels.l2(gradView, param, l2.valueAt(iteration, epoch))) {
            super.apply(param, gradView, lr, iteration, epoch);
        }
    }

    /** The coefficient at this iteration and epoch. */
    double coefficient(int iteration, int epoch) {
        return l2.valueAt(iteration, epoch);
    }

    @Override
    public double score(INDArray param, int iteration, int epoch) {
        double sumSquares = UpdaterKernels.sumSquares(param);
        if (Double.isNaN(sumSquares)) {
            return super.score(param, iteration, epoch);
        }
        return 0.5 * l2.valueAt(iteration, epoch) * sumSquares;
    }

    @Override
    public Regularization clone() {
        return new FusedL2(l2.clone());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FusedL2 && super.equals(o);
    }

    /** DL4J's L2Regularization equals any L2Regularization that can equal it: a FusedL2 only equals FusedL2s. */
    @Override
    protected boolean canEqual(Object other) {
        return other instanceof FusedL2;
    }

    @Override
    public String toString() {
        return "FusedL2(l2=" + l2 + ")";
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + 1;
    }
}
