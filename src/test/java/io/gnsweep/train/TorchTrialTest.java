package io.gnsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gnsweep.data.ClasspathDataFolder;
import io.gnsweep.data.DataFolder;
import io.gnsweep.data.DatasetLoader;
import io.gnsweep.data.LocalDataFolder;
import io.gnsweep.data.TrainTest;
import io.gnsweep.model.Model;
import io.gnsweep.model.NormKind;
import io.gnsweep.optim.LrSchedule;
import io.gnsweep.runtime.NativeSetup;
import io.gnsweep.train.TorchTrial.Diff;
import io.gnsweep.train.TorchTrial.GnPath;
import io.gnsweep.train.TorchTrial.Options;
import io.gnsweep.train.TorchTrial.Outcome;
import io.gnsweep.train.TorchTrial.Run;
import io.gnsweep.train.TorchTrial.Trial;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A whole trial trained by DL4J agrees with its independent PyTorch replica ({@code jobs/torch_trial.py}), from
 * the same initial weights and mini-batches: small-cnn and vgg-cifar at width 0.25, BatchNorm and GroupNorm (both
 * of the layer's paths), Adam (lr 1e-3 and 1e-4), one epoch of 50 steps on the first 1,600 Fashion-MNIST images, tested on the first
 * 500; small-cnn under SGD with momentum, weight decay and a warm-up schedule; the ResNet (a ComputationGraph,
 * depth 8, width 0.25, GroupNorm G = 2 and BatchNorm) under its SGD protocol. Three comparisons, each with the tolerance float arithmetic allows it (measured on these trials, see
 * docs/torch-trial-check.txt):
 * <ol>
 * <li>Float64, both trained on their own: the per-step losses, the test loss and every test prediction. The two
 *     compute the same thing: their losses agree to ≤ 1e-13 relative over these steps. Changes in what is
 *     computed move them by far more, measured on the replica against itself: one weight of the first
 *     convolution moved by one float32 ulp by 1e-10 (first step) to 2e-9 (tenth); eps x10 in the norm layers,
 *     Adam's eps placed as torch.optim.Adam places it, or BatchNorm's running variance unbiased by 2e-5 to 1e-3
 *     (the last in the test loss only). {@link #TOL_F64} = 1e-11 lies between: 100x above the first, 10x below
 *     the smallest of the second.</li>
 * <li>Float32, every step's loss computed by DL4J at the weights the float32 replica started that step from,
 *     on that step's batch: the same function at the same point, so rounding alone parts them, and equally at
 *     every step (no growth: nothing accumulates). Rounding of one forward pass parts them by ≤ 7e-7 relative in
 *     GroupNorm networks, and by up to 7e-5 in BatchNorm ones: ND4J sums a batch mean in float32 (torch in
 *     double), and over the N·H·W = 32,768 values of vgg-cifar's first layers that mean was off by 1.6e-4·σ at the
 *     initial weights (a sequential float32 sum may be off by up to n·2^-24/2 ≈ 1e-3 of itself there).
 *     {@link #STEP_GN}, {@link #STEP_BN}. (GroupNorm's eps x10 moves the first loss by 4e-5.)</li>
 * <li>Float32, both trained on their own: the test accuracy. Float32 training is chaotic: one rounding-level
 *     difference that flips a 2x2 max-pool window's argmax between two near-equal values reroutes that window's
 *     gradient, and Adam's first updates (±lr for any gradient element above ~3e-7, whatever its size) turn the
 *     changed elements into lr-sized weight changes; losses then part by 1e-3 to 1e-1 within tens of steps, at a
 *     step that is chance. So the comparison is with float32 replicas whose initial weights differ by at most one
 *     ulp ({@value #PERTURBED} of them): DL4J's accuracy must lie in their range (with the replica's own),
 *     widened on each side by that range's width, and by at least {@link #ACCURACY_FLOOR} of the test set.</li>
 * </ol>
 * The comparisons are skipped, with the reason, when /usr/bin/python3 cannot import torch.
 */
class TorchTrialTest {
    /** Relative difference allowed between DL4J's and the replica's float64 losses (see the class comment). */
    static final double TOL_F64 = 1e-11;
    /** Float32 losses at the replica's weights, GroupNorm networks (measured ≤ 7e-7). */
    static final double STEP_GN = 1e-5;
    /**
     * Float32 losses at the replica's weights, BatchNorm networks: 3x the largest measured, 6.6e-5 (vgg-cifar at lr
     * 1e-3 over 62 steps), ND4J's float32 batch mean.
     */
    static final double STEP_BN = 2e-4;
    /** Ulp-perturbed float32 replicas per trial. */
    static final int PERTURBED = 6;
    /**
     * Adam's learning rate of vgg-cifar: at small-cnn's 1e-3, float32 chaos alone moves vgg-cifar's test accuracy by
     * up to ±2% (40 images) after one epoch, which would leave comparison 3 little to say; at 1e-4, by ~0.5%.
     */
    static final double VGG_LR = 1e-4;
    /**
     * The least widening of comparison 3: 1% of the test set (5 images), about the float32 spread of test accuracy
     * measured on these trials among replicas that did part (0.4% to 1.2%). The floor is needed because
     * replicas perturbed by an ulp may all end on the same accuracy, while DL4J's BatchNorm starts 10-100x farther
     * from the replica (comparison 2) than they start from each other, so it may end farther too.
     */
    static final double ACCURACY_FLOOR = 0.01;
    static final int TRAIN = 1600;
    static final int TEST = 500;

    private static String dataPath;
    private static TrainTest data;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadData() throws Exception {
        NativeSetup.bindThreads(1);
        dataPath = TorchTrial.DEFAULT_DATA;
        DataFolder folder = ClasspathDataFolder.isClasspath(dataPath) ? new ClasspathDataFolder(dataPath)
                : new LocalDataFolder(Path.of(dataPath));
        data = DatasetLoader.load("fashion-mnist", folder, TRAIN, TEST);
    }

    /** One epoch of 50 steps of 32 images, tested on 500; G = 8 for vgg-cifar (16 channels at first), 4 for
     * small-cnn (8 at width 0.25); lr 1e-3 for small-cnn, {@link #VGG_LR} for vgg-cifar. */
    private static Trial trial(Model model, NormKind norm) {
        Integer groups = norm.usesGroups() ? (model == Model.SMALL_CNN ? 4 : 8) : null;
        return new Trial(model, 0.25, norm, groups, 32, model == Model.SMALL_CNN ? 1e-3 : VGG_LR, 1, 1, TRAIN, TEST);
    }

    /**
     * Float64 steps: 10 for small-cnn, 3 for vgg-cifar (DL4J has no oneDNN in float64 and torch's float64
     * convolutions are slow: ~0.3 and ~2 s a step); comparison 2 covers all 50 steps.
     */
    private Outcome run(Trial t) throws Exception {
        return run(t, data, t.model() == Model.SMALL_CNN ? 10 : 3);
    }

    /** SGD trials: 2 epochs of {@link #SGD_TRAIN} images in batches of 16 (20 steps), float64 on the first 12 (warm-up, its end, the first step decay). */
    static final int SGD_TRAIN = 160;

    /**
     * SGD with momentum 0.9 and weight decay 5e-4 (L2 on conv/dense weights), lr 0.05, warm-up over the first half
     * epoch (5 steps), then the step schedule (x0.1 at 50% and 75% of training) or the cosine one: every part of
     * the per-step rate and of the update in 20 steps.
     */
    private static Trial sgdTrial(NormKind norm, boolean nesterov, LrSchedule.Kind schedule) {
        Protocol p = new Protocol(Protocol.Optimizer.SGD, 0.9, nesterov, 5e-4, schedule, List.of(0.5, 0.75), 0.1, 0.5,
                Protocol.Augment.NONE);
        return new Trial(Model.SMALL_CNN, 0.25, norm, norm.usesGroups() ? 4 : null, 16, 0.05, 2, 1, SGD_TRAIN, TEST,
                Model.DEFAULT_DEPTH, null, p);
    }

    private Outcome runSmall(Trial t) throws Exception {
        return run(t, new TrainTest(data.train().limit(t.trainLimit()), data.test()), 12);
    }

    private Outcome run(Trial t, TrainTest d, int steps64) throws Exception {
        String missing = TorchTrial.torchMissing();
        assumeTrue(missing == null, () -> "PyTorch replica not runnable (" + missing
                + "); apt-get install -y python3-torch");
        Outcome o = TorchTrial.run(t, Trainer.fitToModel(t.spec(dataPath), d), dir,
                new Options(List.of(GnPath.FUSED, GnPath.ND4J), steps64, steps64, PERTURBED, 1.0, false, 0, true));
        System.out.print(TorchTrial.report(o));
        return o;
    }

    @Test
    void smallCnnBatchNorm() throws Exception {
        check(run(trial(Model.SMALL_CNN, NormKind.BATCH)), STEP_BN);
    }

    @Test
    void smallCnnGroupNormOnBothPaths() throws Exception {
        check(run(trial(Model.SMALL_CNN, NormKind.GROUP)), STEP_GN);
    }

    @Test
    void vggCifarBatchNorm() throws Exception {
        check(run(trial(Model.VGG_CIFAR, NormKind.BATCH)), STEP_BN);
    }

    @Test
    void vggCifarGroupNormOnBothPaths() throws Exception {
        check(run(trial(Model.VGG_CIFAR, NormKind.GROUP)), STEP_GN);
    }

    @Test
    void smallCnnGroupNormSgdStepScheduleWeightDecay() throws Exception {
        check(runSmall(sgdTrial(NormKind.GROUP, false, LrSchedule.Kind.STEP)), STEP_GN, 20);
    }

    @Test
    void smallCnnBatchNormSgdNesterovCosineWeightDecay() throws Exception {
        check(runSmall(sgdTrial(NormKind.BATCH, true, LrSchedule.Kind.COSINE)), STEP_BN, 20);
    }

    /**
     * The ResNet (a ComputationGraph: projection shortcuts, the add, ReLU after it, global average pooling) at
     * depth 8 and width 0.25 (4/8/16 channels) under its SGD protocol: momentum 0.9, weight decay 5e-4 on
     * conv/dense weights, lr 0.1, warm-up over the first {@value #RESNET_WARMUP} epoch (10 steps), x0.1 at 50% and
     * 75%; one epoch of 50 steps of 32 images, float64 on the first 12 (warm-up and its end).
     */
    private static Trial resnetTrial(NormKind norm, boolean zeroInitLastNorm) {
        Protocol p = new Protocol(Protocol.Optimizer.SGD, 0.9, false, 5e-4, LrSchedule.Kind.STEP, List.of(0.5, 0.75),
                0.1, RESNET_WARMUP, Protocol.Augment.NONE);
        return new Trial(Model.RESNET, 0.25, norm, norm.usesGroups() ? 2 : null, 32, 0.1, 1, 1, TRAIN, TEST, 8,
                zeroInitLastNorm, p);
    }

    static final double RESNET_WARMUP = 0.2;

    /** GroupNorm G = 2 with every block's last γ at 1: the residual branch contributes from the first step. */
    @Test
    void resnetGroupNormSgdStepScheduleWeightDecay() throws Exception {
        check(run(resnetTrial(NormKind.GROUP, false), data, 12), STEP_GN);
    }

    /** BatchNorm with γ = 0 on every block's last norm (the protocol's rule): the branch starts at 0. */
    @Test
    void resnetBatchNormZeroInitLastNormSgd() throws Exception {
        check(run(resnetTrial(NormKind.BATCH, true), data, 12), STEP_BN);
    }

    private static void check(Outcome o, double stepTolerance) {
        check(o, stepTolerance, 50);
    }

    private static void check(Outcome o, double stepTolerance, int minSteps) {
        String id = o.trial().id();
        Run t32 = o.torch32();
        Run t64 = o.torch64();
        int steps = o.steps();
        assertTrue(steps >= minSteps, id + ": " + steps + " steps");
        assertEquals(PERTURBED, o.ensemble().size(), id);
        int paths = o.trial().norm() == NormKind.BATCH ? 1 : 2;
        assertEquals(2 * paths, o.dl4j().size(), id + ": " + o.dl4j().keySet());
        assertEquals(paths, o.atTorch().size(), id + ": " + o.atTorch().keySet());

        // 1. float64, trained apart
        for (Run r : o.dl4j().values()) {
            if (r.label().contains("-f64")) {
                String what = id + " " + r.label();
                assertEquals(t64.losses().length, r.losses().length, what);
                Diff d = TorchTrial.diff(r, t64, r.losses().length);
                assertTrue(d.maxRel() <= TOL_F64, String.format(Locale.ROOT, "%s: float64 losses differ by up to %.3e"
                        + " relative over %d steps", what, d.maxRel(), r.losses().length));
                assertEquals(t64.testLoss(), r.testLoss(), TOL_F64 * t64.testLoss(), what + ": float64 test loss");
                assertEquals(0, TorchTrial.disagreements(r, t64), what + ": float64 test predictions");
            }
        }
        // 2. float32 at the replica's weights, every step
        o.atTorch().forEach((label, losses) -> {
            Diff d = TorchTrial.diff(new Run(label, losses, 0, 0, new int[0], 0), t32, steps);
            int worst = 0;
            for (int s = 1; s < steps; s++) {
                worst = d.rel()[s] > d.rel()[worst] ? s : worst;
            }
            assertTrue(d.maxRel() <= stepTolerance, String.format(Locale.ROOT, "%s %s: float32 loss at the replica's"
                    + " weights differs by %.3e relative at step %d, beyond float32 rounding (%.0e)", id, label,
                    d.maxRel(), worst + 1, stepTolerance));
        });
        // 3. float32, trained apart: test accuracy within the float32 replicas' spread
        int lo = correct(t32);
        int hi = lo;
        for (Run p : o.ensemble()) {
            lo = Math.min(lo, correct(p));
            hi = Math.max(hi, correct(p));
        }
        int width = Math.max(hi - lo, (int) Math.ceil(ACCURACY_FLOOR * TEST));
        for (Run r : o.dl4j().values()) {
            if (!r.label().contains("-f64")) {
                int c = correct(r);
                assertTrue(c >= lo - width && c <= hi + width, String.format(Locale.ROOT, "%s %s: %d test images"
                        + " right, the float32 replicas %d..%d", id, r.label(), c, lo, hi));
            }
        }
    }

    private static int correct(Run r) {
        int n = 0;
        for (int i = 0; i < r.predictions().length; i++) {
            n += r.predictions()[i] == data.test().labels()[i] ? 1 : 0;
        }
        return n;
    }

    /** The DL4J side of the check trains exactly as the harness does: same losses, same test metrics, bit for bit. */
    @Test
    void theDl4jSideTrainsAsTrainerDoes() {
        TrialSpec spec = new TrialSpec("fashion-mnist", dataPath, 256, 100, Model.SMALL_CNN, 0.25, NormKind.GROUP, 4,
                32, 1e-3, 1, 7);
        TrainTest small = new TrainTest(data.train().limit(256), data.test().limit(100));
        TrialResult harness = Trainer.run(spec, small, "cpu", m -> { });
        assertEquals(TrialStatus.COMPLETE, harness.status(), harness.error());
        TrainTest fitted = Trainer.fitToModel(spec, small);
        MultiLayerNetwork net = (MultiLayerNetwork) Trainer.network(spec, fitted.train()).dl4j();
        Run ours = TorchTrial.train(TorchNet.of(net), fitted.train(), TorchTrial.batches(256, 32, spec.seed(), 1), fitted.test(),
                "dl4j", (step, n) -> { });
        assertEquals(8, ours.losses().length);
        assertEquals(harness.trainLoss(), java.util.Arrays.stream(ours.losses()).sum() / 8);
        assertEquals(harness.testLoss(), ours.testLoss());
        assertEquals(harness.testAccuracy(), ours.testAccuracy());
    }

    /** A layer the replica does not have is refused by name, rather than compared as something else. */
    @Test
    void theExporterRefusesWhatTheReplicaLacks() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .updater(new org.nd4j.linalg.learning.config.Adam(1e-3)).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(2).activation(Activation.IDENTITY).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).name("avg").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutional(6, 6, 1)).build());
        net.init();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchExchange.write(dir, net,
                InputType.convolutional(6, 6, 1), data.train().limit(1), new int[0][], new double[0],
                data.test().limit(1), 1));
        assertTrue(e.getMessage().contains("1_avg") && e.getMessage().contains("AVG"), e.getMessage());
    }

    /** In a graph too: a vertex the replica does not have (an elementwise product) is refused by its name. */
    @Test
    void theExporterRefusesAGraphVertexTheReplicaLacks() {
        ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .updater(new org.nd4j.linalg.learning.config.Adam(1e-3)).graphBuilder().addInputs("in")
                .addLayer("a", new ConvolutionLayer.Builder(3, 3).nOut(2).activation(Activation.IDENTITY).build(), "in")
                .addLayer("b", new ConvolutionLayer.Builder(3, 3).nOut(2).activation(Activation.IDENTITY).build(), "in")
                .addVertex("times", new ElementWiseVertex(ElementWiseVertex.Op.Product), "a", "b")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "times")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").setInputTypes(InputType.convolutional(6, 6, 1)).build());
        g.init();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchExchange.write(dir, g,
                InputType.convolutional(6, 6, 1), data.train().limit(1), new int[0][], new double[0],
                data.test().limit(1), 1));
        assertTrue(e.getMessage().startsWith("times:") && e.getMessage().contains("ElementWiseVertex"),
                e.getMessage());
    }
}
