package io.gnsweep.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.data.ImageDataset;
import io.gnsweep.data.TrainTest;
import io.gnsweep.model.Model;
import io.gnsweep.model.Net;
import io.gnsweep.model.NormKind;
import io.gnsweep.optim.LrSchedule;
import io.gnsweep.optim.SgdMomentum;
import io.gnsweep.runtime.NativeSetup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.L2Regularization;

/** The training protocol as a trial applies it: weight decay, schedule, augmentation. */
class ProtocolTest {
    @BeforeAll
    static void init() {
        NativeSetup.init();
    }

    static Protocol protocol(Protocol.Optimizer o, double momentum, double wd, LrSchedule.Kind schedule,
                             double warmup, Protocol.Augment augment) {
        return new Protocol(o, momentum, false, wd, schedule, List.of(0.5, 0.75), 0.1, warmup, augment);
    }

    static TrialSpec spec(Model model, NormKind norm, Integer groups, int bs, double lr, int epochs, Protocol p) {
        return new TrialSpec("synthetic", "-", null, null, model, model == Model.SMALL_CNN ? 0.25 : 0.5, norm, groups,
                bs, lr, epochs, 1, model == Model.RESNET ? 8 : Model.DEFAULT_DEPTH, null, p);
    }

    /** As {@link #spec}, with every residual branch's last layer left at its random initialisation. */
    static TrialSpec noZeroInit(TrialSpec s) {
        return new TrialSpec(s.dataset(), s.dataPath(), s.trainLimit(), s.testLimit(), s.model(), s.width(), s.norm(),
                s.groups(), s.batchSize(), s.lr(), s.epochs(), s.seed(), s.modelDepth(),
                s.model().isResidual() ? Boolean.FALSE : null, s.protocol());
    }

    static ImageDataset images(int n, int channels, int size, long seed) {
        Random r = new Random(seed);
        float[] px = new float[n * channels * size * size];
        for (int i = 0; i < px.length; i++) {
            px[i] = r.nextFloat();
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(10);
        }
        return new ImageDataset("synthetic", px, labels, channels, size, size, 10);
    }

    @Test
    void weightDecayShrinksConvolutionAndDenseWeightsButNeverNormParametersOrBiases() {
        double lr = 0.1;
        double wd = 0.01;
        for (Object[] c : new Object[][] {{Model.RESNET, NormKind.GROUP, 2}, {Model.RESNET, NormKind.BATCH, null},
                {Model.RESNET, NormKind.NONE, null}, {Model.SMALL_CNN, NormKind.GROUP, 4},
                {Model.SMALL_CNN, NormKind.BATCH, null}}) {
            Model model = (Model) c[0];
            NormKind norm = (NormKind) c[1];
            TrialSpec spec = noZeroInit(spec(model, norm, (Integer) c[2], 4, lr, 1,
                    protocol(Protocol.Optimizer.SGD, 0.0, wd, LrSchedule.Kind.CONSTANT, 0, Protocol.Augment.NONE)));
            int channels = model == Model.RESNET ? 3 : 1;
            ImageDataset data = images(8, channels, model.inputSize(), 2);
            Net net = Trainer.network(spec, data);
            INDArray x = Nd4j.rand(DataType.FLOAT, 4, channels, model.inputSize(), model.inputSize());
            // soft labels equal to the network's own output: the data gradient p - y is zero, only the decay acts
            INDArray y = net.outputTraining(x).dup();
            Map<String, INDArray> before = new HashMap<>();
            net.paramTable().forEach((k, v) -> before.put(k, v.dup()));
            net.fit(x, y);
            int decayed = 0;
            int kept = 0;
            for (Map.Entry<String, INDArray> e : net.paramTable().entrySet()) {
                String kind = e.getKey().substring(e.getKey().lastIndexOf('_') + 1);
                INDArray w0 = before.get(e.getKey());
                String what = model.id() + "/" + norm.id() + " " + e.getKey();
                if (kind.equals("W")) {
                    // SGD on the L2 gradient wd * W alone: W - lr * wd * W
                    INDArray want = w0.mul(1 - lr * wd);
                    assertTrue(want.equalsWithEps(e.getValue(), 1e-6 * w0.amaxNumber().doubleValue() + 1e-9), what);
                    assertNotEquals(w0, e.getValue(), what);
                    decayed++;
                } else if (kind.equals("b") || kind.equals("gamma") || kind.equals("beta")) {
                    assertTrue(w0.equalsWithEps(e.getValue(), 1e-6), what + " changed: not decayed, no data gradient");
                    kept++;
                }
            }
            assertTrue(decayed >= 3 && kept >= (norm == NormKind.NONE ? 3 : 6), model.id() + "/" + norm.id()
                    + ": " + decayed + " weights, " + kept + " others");
        }
    }

    @Test
    void theTrialsUpdaterFollowsTheScheduleAndDecayIsSetOnWeightLayersOnly() {
        // 40 images, batch 4: 10 iterations per epoch, 4 epochs = 40; warm-up 0.5 epoch = 5 iterations
        ImageDataset data = images(40, 3, 32, 3);
        TrialSpec sgd = spec(Model.RESNET, NormKind.GROUP, 2, 4, 0.2, 4, protocol(Protocol.Optimizer.SGD, 0.9, 5e-4,
                LrSchedule.Kind.STEP, 0.5, Protocol.Augment.NONE));
        ComputationGraph g = (ComputationGraph) Trainer.network(sgd, data).dl4j();
        IUpdater u = ((BaseLayer) g.getLayer("s1b1-conv1").conf().getLayer()).getIUpdater();
        SgdMomentum m = (SgdMomentum) u;
        assertEquals(0.9, m.getMomentum(), 0.0);
        double[][] want = {{0, 0.04}, {4, 0.2}, {19, 0.2}, {20, 0.02}, {29, 0.02}, {30, 0.002}, {39, 0.002}};
        for (double[] w : want) {
            assertEquals(w[1], u.getLearningRate((int) w[0], 0), 1e-12, "iteration " + (int) w[0]);
        }
        assertTrue(hasL2(g.getLayer("s1b1-conv1").conf().getLayer(), 5e-4));
        assertTrue(hasL2(g.getLayer("output").conf().getLayer(), 5e-4));
        assertTrue(noRegularisation(g.getLayer("s1b1-conv1-group").conf().getLayer()));

        TrialSpec adam = spec(Model.SMALL_CNN, NormKind.BATCH, null, 4, 1e-3, 4, protocol(Protocol.Optimizer.ADAM,
                0.9, 0, LrSchedule.Kind.COSINE, 1, Protocol.Augment.NONE));
        MultiLayerNetwork n = (MultiLayerNetwork) Trainer.network(adam, images(40, 1, 28, 3)).dl4j();
        IUpdater a = ((BaseLayer) n.getLayer(0).conf().getLayer()).getIUpdater();
        assertTrue(a instanceof Adam);
        assertEquals(1e-3 / 10, a.getLearningRate(0, 0), 1e-15);                                // warm-up 10 its
        assertEquals(1e-3 * (1 + Math.cos(Math.PI * 15 / 30.0)) / 2, a.getLearningRate(25, 0), 1e-15);
        assertTrue(noRegularisation(n.getLayer(0).conf().getLayer()), "no decay asked: none set");
    }

    private static boolean hasL2(org.deeplearning4j.nn.conf.layers.Layer l, double coeff) {
        BaseLayer b = (BaseLayer) l;
        return b.getRegularization().size() == 1 && b.getRegularization().get(0) instanceof L2Regularization r
                && r.getL2().valueAt(0, 0) == coeff && b.getRegularizationBias().isEmpty();
    }

    private static boolean noRegularisation(org.deeplearning4j.nn.conf.layers.Layer l) {
        for (String p : List.of("W", "b", "gamma", "beta")) {
            var r = l.getRegularizationByParam(p);
            if (r != null && !r.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    @Test
    void cropFlipIsPadCropFlipDrawnFromSeedEpochAndImage() {
        int c = 2;
        int h = 5;
        int w = 6;
        float[] px = new float[300 * c * h * w];
        Random r = new Random(4);
        for (int i = 0; i < px.length; i++) {
            px[i] = r.nextFloat() + 0.5f;
        }
        Augmentation a = new Augmentation(11);
        Augmentation same = new Augmentation(11);
        int[] dxCount = new int[9];
        int flips = 0;
        int differentAcrossEpochs = 0;
        for (int img = 0; img < 300; img++) {
            int[] draw = a.draw(img, 1);
            assertArrayEquals(draw, same.draw(img, 1), "same seed, epoch and image: same crop");
            differentAcrossEpochs += java.util.Arrays.equals(draw, a.draw(img, 2)) ? 0 : 1;
            dxCount[draw[1]]++;
            flips += draw[2];
            float[] out = new float[c * h * w];
            a.apply(px, img, out, 0, c, h, w, 1);
            assertArrayEquals(reference(px, img, c, h, w, draw), out, "image " + img);
        }
        assertTrue(differentAcrossEpochs > 270, differentAcrossEpochs + " of 300 differ between epochs");
        for (int k = 0; k < 9; k++) {
            assertTrue(dxCount[k] > 10, "offset " + k + " drawn " + dxCount[k] + " times of 300");
        }
        assertTrue(flips > 110 && flips < 190, flips + " flips of 300");
    }

    /** Pads with 4 zeros, crops at (dy, dx), flips: the three steps done literally, as torchvision does them. */
    private static float[] reference(float[] px, int img, int c, int h, int w, int[] draw) {
        int ph = h + 8;
        int pw = w + 8;
        float[] padded = new float[c * ph * pw];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    padded[(ch * ph + y + 4) * pw + x + 4] = px[img * c * h * w + (ch * h + y) * w + x];
                }
            }
        }
        float[] crop = new float[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    crop[(ch * h + y) * w + x] = padded[(ch * ph + y + draw[0]) * pw + x + draw[1]];
                }
            }
        }
        if (draw[2] == 0) {
            return crop;
        }
        float[] flipped = new float[crop.length];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    flipped[(ch * h + y) * w + x] = crop[(ch * h + y) * w + (w - 1 - x)];
                }
            }
        }
        return flipped;
    }

    @Test
    void augmentationChangesTrainingAndNeverTouchesEvaluation() {
        TrainTest data = TrainerTest.squares(256, 200, 3);
        Protocol plain = protocol(Protocol.Optimizer.SGD, 0.9, 0, LrSchedule.Kind.CONSTANT, 0, Protocol.Augment.NONE);
        Protocol aug = protocol(Protocol.Optimizer.SGD, 0.9, 0, LrSchedule.Kind.CONSTANT, 0, Protocol.Augment.CROP_FLIP);
        List<Net> nets = new ArrayList<>();
        TrialResult withAug = Trainer.run(spec(Model.SMALL_CNN, NormKind.GROUP, 2, 16, 0.02, 1, aug), data, "cpu",
                m -> { }, nets::add);
        TrialResult without = Trainer.run(spec(Model.SMALL_CNN, NormKind.GROUP, 2, 16, 0.02, 1, plain), data, "cpu",
                m -> { });
        assertEquals(TrialStatus.COMPLETE, withAug.status(), withAug.error());
        assertNotEquals(without.trainLoss(), withAug.trainLoss(), "the same seed and data, augmented or not");
        // the reported test metrics are those of the trained network on the test images as they are
        double[] plainEval = Trainer.evaluate(nets.get(0), data.test());
        assertEquals(plainEval[0], withAug.testLoss(), 0.0);
        assertEquals(plainEval[1], withAug.testAccuracy(), 0.0);
        // and they would differ on augmented test images: the comparison above can tell
        ImageDataset t = data.test();
        float[] shifted = new float[t.pixels().length];
        Augmentation a = new Augmentation(5);
        for (int i = 0; i < t.size(); i++) {
            a.apply(t.pixels(), i, shifted, i * t.imageSize(), t.channels(), t.height(), t.width(), 1);
        }
        double[] augEval = Trainer.evaluate(nets.get(0), new ImageDataset("shifted", shifted, t.labels(),
                t.channels(), t.height(), t.width(), t.numClasses()));
        assertNotEquals(plainEval[0], augEval[0]);
    }
}
