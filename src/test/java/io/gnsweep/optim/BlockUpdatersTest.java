package io.gnsweep.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.model.Model;
import io.gnsweep.model.Net;
import io.gnsweep.model.NetworkFactory;
import io.gnsweep.model.NetworkFactory.NetworkSpec;
import io.gnsweep.model.NormKind;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.StepSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * BlockUpdaters against DL4J's own updaters: the same training, bit for bit (parameters and updater state, Adam and
 * SGD with momentum, weight decay, BatchNorm's running statistics that must not be divided by the batch), and the
 * standard path really taken for the network's own gradient.
 */
class BlockUpdatersTest {
    @BeforeAll
    static void init() {
        io.gnsweep.runtime.NativeSetup.init();
    }

    @AfterEach
    void defaults() {
        System.clearProperty(BlockUpdaters.PROPERTY);
    }

    private static Net build(Model model, IUpdater updater, boolean block) {
        return build(model, updater, block, 5e-4);
    }

    private static Net build(Model model, IUpdater updater, boolean block, double weightDecay) {
        System.setProperty(BlockUpdaters.PROPERTY, Boolean.toString(block));
        int size = model.inputSize();
        return NetworkFactory.create(new NetworkSpec(model, NormKind.BATCH, 0, 0.25, 1, size, size, 10, 0.05, 7,
                8, true, updater, weightDecay));
    }

    private static FusedStep fusedStep(Net net) {
        return net.dl4j() instanceof ComputationGraph g ? BlockUpdaters.fusedStep(g)
                : BlockUpdaters.fusedStep((MultiLayerNetwork) net.dl4j());
    }

    /** Five steps on fixed random batches of 3 (an odd batch: the division by it is not exact). */
    private static void train(Net net) {
        java.util.Random rng = new java.util.Random(11);
        int size = net.dl4j() instanceof ComputationGraph ? 32 : 28;
        for (int step = 0; step < 5; step++) {
            float[] px = new float[3 * size * size];
            for (int i = 0; i < px.length; i++) {
                px[i] = rng.nextFloat();
            }
            INDArray x = Nd4j.create(px, new long[] {3, 1, size, size}, 'c');
            INDArray y = Nd4j.zeros(DataType.FLOAT, 3, 10);
            for (int i = 0; i < 3; i++) {
                y.putScalar(i, (step * 3 + i) % 10, 1f);
            }
            net.fit(x, y);
        }
    }

    private static INDArray updaterState(Net net) {
        return net.dl4j() instanceof ComputationGraph g ? g.getUpdater().getStateViewArray()
                : ((MultiLayerNetwork) net.dl4j()).getUpdater().getStateViewArray();
    }

    private static void assertSameTraining(Model model, IUpdater updater) {
        assertSameTraining(model, updater, 5e-4);
    }

    private static Net assertSameTraining(Model model, IUpdater updater, double weightDecay) {
        Net dl4j = build(model, updater, false, weightDecay);
        Net ours = build(model, updater, true, weightDecay);
        boolean installed = ours.dl4j() instanceof ComputationGraph g ? BlockUpdaters.installed(g)
                : BlockUpdaters.installed((MultiLayerNetwork) ours.dl4j());
        assertTrue(installed, "gnsweep's network carries the block updater");
        INDArray start = ours.dl4j().params().dup();
        assertArrayEquals(dl4j.dl4j().params().toFloatVector(), start.toFloatVector());
        train(dl4j);
        train(ours);
        assertNotEquals(start, ours.dl4j().params(), "training moved the parameters");
        assertArrayEquals(dl4j.dl4j().params().toFloatVector(), ours.dl4j().params().toFloatVector(),
                model + ": parameters after 5 steps");
        INDArray state = updaterState(ours);
        if (state != null) {
            assertArrayEquals(updaterState(dl4j).toFloatVector(), state.toFloatVector(), model + ": updater state");
        }
        return ours;
    }

    /**
     * Every parameter takes the fused step (division, L2, update and step in one kernel pass: FusedStep), BatchNorm's
     * running statistics included, with or without weight decay, and training is DL4J's bit for bit; switched off,
     * none does, and the tests above train DL4J's passes on BlockUpdaters' path.
     */
    @Test
    void fusedStepsTrainAsDl4jsBitForBitWithAdamAndSgdMomentum() {
        for (double wd : new double[] {0, 5e-4}) {
            Net adam = assertSameTraining(Model.SMALL_CNN, new FusedAdam(2e-3, 0.9, 0.999, 1e-8), wd);
            assertEquals(adam.dl4j().numParams(), fusedStep(adam).fusedLength(), "every parameter fused");
            var schedule = new StepSchedule(ScheduleType.ITERATION, 0.05, 0.1, 3);
            Net sgd = assertSameTraining(Model.RESNET, new SgdMomentum(0.05, schedule, 0.9, true), wd);
            assertEquals(sgd.dl4j().numParams(), fusedStep(sgd).fusedLength(), "every parameter fused");
            assertSameTraining(Model.SMALL_CNN, new SgdMomentum(0.05, null, 0, false), wd); // no velocity
        }
        System.setProperty(FusedStep.PROPERTY, "false");
        try {
            Net off = assertSameTraining(Model.RESNET, new SgdMomentum(0.05, null, 0.9, false), 5e-4);
            assertNull(fusedStep(off), "switched off");
        } finally {
            System.clearProperty(FusedStep.PROPERTY);
        }
    }

    @Test
    void trainsAsDl4jsUpdaterBitForBitWithAdam() {
        assertSameTraining(Model.SMALL_CNN, new FusedAdam(2e-3, 0.9, 0.999, 1e-8));
    }

    @Test
    void trainsAsDl4jsUpdaterBitForBitWithSgdMomentumAndASchedule() {
        var schedule = new StepSchedule(ScheduleType.ITERATION, 0.05, 0.1, 3);
        assertSameTraining(Model.RESNET, new SgdMomentum(0.05, schedule, 0.9, false));
    }

    @Test
    void theNetworksOwnGradientTakesTheStandardPathAndOtherMemoryDoesNot() {
        ComputationGraph g = (ComputationGraph) build(Model.RESNET, new FusedAdam(), true).dl4j();
        INDArray view = g.getUpdater().getFlattenedGradientsView();
        Gradient own = new DefaultGradient(g.getFlattenedGradients());
        assertNotSame(view, own.gradient(), "DL4J hands out a new view per call (the reason for BlockUpdaters)");
        assertSame(view, BlockUpdaters.own(own, view).gradient());

        Gradient other = new DefaultGradient(g.getFlattenedGradients().dup());
        assertSame(other, BlockUpdaters.own(other, view), "a gradient in other memory stays external");
        assertFalse(BlockUpdaters.installed((ComputationGraph) build(Model.RESNET, new FusedAdam(), false).dl4j()),
                "switched off: DL4J's updater");
    }
}
