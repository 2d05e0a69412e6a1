package io.gnsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gnsweep.data.ImageDataset;
import io.gnsweep.data.TrainTest;
import io.gnsweep.layer.Conv2DLayer;
import io.gnsweep.model.Model;
import io.gnsweep.model.NormKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** One trial end to end on a small synthetic, learnable problem (no Spark, no files). */
class TrainerTest {

    /** Ten classes, each a bright square at its own position on a noisy 28x28 background. */
    static TrainTest squares(int train, int test, long seed) {
        Random r = new Random(seed);
        return new TrainTest(make(train, r), make(test, r));
    }

    private static ImageDataset make(int n, Random r) {
        float[] px = new float[n * 28 * 28];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(10);
            for (int p = 0; p < 784; p++) {
                px[i * 784 + p] = (float) (r.nextGaussian() * 0.3 - 0.8);
            }
            int y0 = 2 + (labels[i] / 5) * 12;
            int x0 = 2 + (labels[i] % 5) * 5;
            for (int y = y0; y < y0 + 6; y++) {
                for (int x = x0; x < x0 + 4; x++) {
                    px[i * 784 + y * 28 + x] = 1f;
                }
            }
        }
        return new ImageDataset("squares", px, labels, 1, 28, 28, 10);
    }

    private static TrialSpec spec(NormKind norm, Integer groups, int bs, double lr, int epochs, long seed) {
        return new TrialSpec("squares", "-", null, null, Model.SMALL_CNN, 0.25, norm, groups, bs, lr, epochs, seed);
    }

    @Test
    void learnsAndReportsEveryEpoch() {
        List<EpochMetrics> seen = new ArrayList<>();
        TrialResult r = Trainer.run(spec(NormKind.GROUP, 2, 16, 3e-3, 2, 1), squares(400, 200, 1), "cpu", seen::add);
        assertEquals(TrialStatus.COMPLETE, r.status(), r.error());
        assertNull(r.error());
        assertEquals(2, r.epochs().size());
        assertEquals(r.epochs(), seen);
        assertTrue(r.testAccuracy() > 0.9, "accuracy " + r.testAccuracy());
        assertTrue(r.epochs().get(1).trainLoss() < r.epochs().get(0).trainLoss());
        assertEquals(2 * 400 / r.trainTimeS(), r.imagesPerS(), 1e-9 * r.imagesPerS()); // 25 steps x 16 per epoch
        assertEquals(Math.max(r.epochs().get(0).testAccuracy(), r.epochs().get(1).testAccuracy()), r.bestTestAccuracy());
        // both epochs may score alike here: the best is the highest epoch's, not the last's, on made-up epochs
        TrialResult made = new TrialResult(r.spec(), TrialStatus.COMPLETE, null, List.of(new EpochMetrics(1, 1, 1, 0.5, 1, 1),
                new EpochMetrics(2, 1, 1, 0.7, 1, 1), new EpochMetrics(3, 1, 1, 0.6, 1, 1)), 1, r.startedAt(), r.finishedAt(), "cpu");
        assertEquals(0.7, made.bestTestAccuracy());
        assertTrue(r.numParams() > 0);
    }

    /**
     * An executor runs trial after trial in one JVM: a finished trial's oneDNN plans are freed when it ends, not
     * when a GC happens to collect its network (before, a sweep driver grew by hundreds of MB per ResNet trial).
     */
    @Test
    void aFinishedTrialLeavesNoConvolutionPlansBehind() {
        assumeTrue(Conv2DLayer.dnnlAvailable(), "gnsweep's oneDNN convolution is not built here");
        long before = Conv2DLayer.livePlans();
        AtomicLong during = new AtomicLong();
        TrialResult r = Trainer.run(spec(NormKind.GROUP, 2, 16, 3e-3, 1, 1), squares(100, 50, 6), "cpu", m -> { },
                net -> during.set(Conv2DLayer.livePlans()));
        assertEquals(TrialStatus.COMPLETE, r.status(), r.error());
        assertTrue(during.get() > before, "plans while training: " + during.get() + ", before: " + before);
        assertEquals(before, Conv2DLayer.livePlans(), "plans left after the trial");
    }

    @Test
    void theSameSeedGivesTheSameRunAndAnotherSeedAnotherOne() {
        TrainTest data = squares(200, 100, 2);
        TrialResult a = Trainer.run(spec(NormKind.BATCH, null, 8, 1e-3, 1, 5), data, "cpu", m -> { });
        TrialResult b = Trainer.run(spec(NormKind.BATCH, null, 8, 1e-3, 1, 5), data, "cpu", m -> { });
        TrialResult c = Trainer.run(spec(NormKind.BATCH, null, 8, 1e-3, 1, 6), data, "cpu", m -> { });
        assertEquals(a.epochs().get(0).trainLoss(), b.epochs().get(0).trainLoss());
        assertEquals(a.testLoss(), b.testLoss());
        assertNotEquals(a.epochs().get(0).trainLoss(), c.epochs().get(0).trainLoss());
    }

    @Test
    void aHugeLearningRateDivergesAndKeepsFinishedEpochs() {
        TrialResult r = Trainer.run(spec(NormKind.NONE, null, 16, 1e30, 2, 1), squares(200, 50, 3), "cpu", m -> { });
        assertEquals(TrialStatus.DIVERGED, r.status());
        assertTrue(r.error().contains("NaN") || r.error().contains("Infinity"), r.error());
    }

    @Test
    void anExceptionBecomesAFailedResultWithItsMessage() {
        TrialResult r = Trainer.run(spec(NormKind.GROUP, 3, 16, 1e-3, 1, 1), squares(100, 50, 4), "cpu", m -> { });
        assertEquals(TrialStatus.FAILED, r.status());
        assertTrue(r.error().contains("groups = 3"), r.error());
        TrialResult midway = Trainer.run(spec(NormKind.GROUP, 2, 16, 1e-3, 2, 1), squares(100, 50, 4), "cpu", m -> {
            throw new IllegalStateException("listener broke");
        });
        assertEquals(TrialStatus.FAILED, midway.status());
        assertTrue(midway.error().contains("listener broke"));
    }

    @Test
    void shufflingDependsOnSeedAndEpochOnly() {
        int[] a = Trainer.permutation(100, 1, 1);
        assertTrue(Arrays.equals(a, Trainer.permutation(100, 1, 1)));
        assertTrue(!Arrays.equals(a, Trainer.permutation(100, 1, 2)));
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 100; i++) {
            assertEquals(i, sorted[i]);
        }
    }

    @Test
    void smallImagesArePaddedForVgg() {
        TrialSpec vgg = new TrialSpec("squares", "-", null, null, Model.VGG_CIFAR, 0.125, NormKind.GROUP, 8, 8, 1e-3, 1, 1);
        TrainTest padded = Trainer.fitToModel(vgg, squares(10, 10, 5));
        assertEquals(32, padded.train().height());
        assertEquals(32, padded.test().width());
    }
}
