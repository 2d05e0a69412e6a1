package io.gnsweep.train;

import io.gnsweep.data.ImageDataset;
import io.gnsweep.data.TrainTest;
import io.gnsweep.model.Net;
import io.gnsweep.model.NetworkFactory;
import io.gnsweep.model.NetworkFactory.NetworkSpec;
import io.gnsweep.runtime.NativeSetup;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trains one {@link TrialSpec} on in-memory data and evaluates it after every epoch. Never throws: an
 * exception becomes a {@link TrialStatus#FAILED} result with its message, and a NaN or infinite loss stops
 * the trial as {@link TrialStatus#DIVERGED}, keeping the epochs that finished.
 *
 * <p>Mini-batches are drawn from a permutation of the training set shuffled each epoch from the trial's
 * seed; the last incomplete mini-batch is dropped, so every step sees exactly {@code batchSize} images (a
 * batch of 1 would give BatchNorm no statistics to speak of). Training images are augmented when the protocol
 * says so ({@link Augmentation}); evaluation never is. The learning rate follows the protocol's schedule per
 * iteration ({@link Optimizers}).
 */
public final class Trainer {
    private static final int EVAL_BATCH = 250;

    private Trainer() {}

    /** Runs the trial; {@code onEpoch} sees each epoch's metrics as soon as they exist. */
    public static TrialResult run(TrialSpec spec, TrainTest data, String device, Consumer<EpochMetrics> onEpoch) {
        return run(spec, data, device, onEpoch, net -> { });
    }

    /** As {@link #run(TrialSpec, TrainTest, String, Consumer)}; {@code trained} sees the network after each epoch. */
    static TrialResult run(TrialSpec spec, TrainTest data, String device, Consumer<EpochMetrics> onEpoch,
                           Consumer<Net> trained) {
        return run(spec, data, device, onEpoch, trained, (epoch, step, nanos) -> { });
    }

    /** The wall time of one training step: batch gather, forward, loss, backward, update, the loss read back. */
    @FunctionalInterface
    public interface StepTimes {
        /** Step {@code step} (1-based) of epoch {@code epoch} took {@code nanos} ns. */
        void step(int epoch, int step, long nanos);
    }

    /**
     * As {@link #run(TrialSpec, TrainTest, String, Consumer)}; {@code steps} sees each step's time as it ends (inside
     * the epoch's timed loop: keep it cheap).
     */
    public static TrialResult run(TrialSpec spec, TrainTest data, String device, Consumer<EpochMetrics> onEpoch,
                                  Consumer<Net> trained, StepTimes steps) {
        Instant started = Instant.now();
        List<EpochMetrics> epochs = new ArrayList<>();
        long numParams = 0;
        Net net = null;
        try {
            NativeSetup.init();
            spec.validate();
            TrainTest fitted = fitToModel(spec, data);
            ImageDataset train = fitted.train();
            if (train.size() < spec.batchSize()) {
                throw new IllegalArgumentException("batch-size = " + spec.batchSize() + " exceeds the "
                        + train.size() + " training images");
            }
            net = network(spec, train);
            numParams = net.numParams();
            boolean decayed = spec.protocol().weightDecay() > 0;
            Augmentation augmentation = spec.protocol().augment() == Protocol.Augment.CROP_FLIP
                    ? new Augmentation(spec.seed()) : null;
            for (int epoch = 1; epoch <= spec.epochs(); epoch++) {
                long t0 = System.nanoTime();
                double lossSum = 0;
                int step = 0;
                Batches batches = new Batches(train, spec.batchSize(), permutation(train.size(), spec.seed(), epoch))
                        .augment(augmentation, epoch);
                while (batches.hasNext()) {
                    long stepStart = System.nanoTime();
                    batches.next();
                    // DL4J's score adds the decay term 0.5 * wd * |W|^2 of the parameters the step started from;
                    // the data loss alone is what PyTorch reports and what the tables hold
                    double penalty = decayed ? net.regularization() : 0;
                    net.fit(batches.features(), batches.labels());
                    double loss = net.score() - penalty;
                    if (!Double.isFinite(loss)) {
                        return new TrialResult(spec, TrialStatus.DIVERGED, "train loss became " + loss + " at epoch "
                                + epoch + ", step " + (step + 1), epochs, numParams, started, Instant.now(), device);
                    }
                    lossSum += loss;
                    step++;
                    steps.step(epoch, step, System.nanoTime() - stepStart);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                double[] eval = evaluate(net, fitted.test());
                if (!Double.isFinite(eval[0])) {
                    return new TrialResult(spec, TrialStatus.DIVERGED, "test loss became " + eval[0] + " at epoch "
                            + epoch, epochs, numParams, started, Instant.now(), device);
                }
                EpochMetrics m = new EpochMetrics(epoch, lossSum / step, eval[0], eval[1], seconds,
                        (double) step * spec.batchSize() / seconds);
                epochs.add(m);
                trained.accept(net);
                onEpoch.accept(m);
            }
            return new TrialResult(spec, TrialStatus.COMPLETE, null, epochs, numParams, started, Instant.now(), device);
        } catch (Throwable t) {
            String message = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
            return new TrialResult(spec, TrialStatus.FAILED, message, epochs, numParams, started, Instant.now(), device);
        } finally {
            if (net != null) {
                net.release(); // an executor runs trial after trial: their native plans must not wait for a GC
            }
        }
    }

    /** The trial's network with its optimiser and schedule, initialised from its seed. */
    public static Net network(TrialSpec spec, ImageDataset train) {
        int stepsPerEpoch = train.size() / spec.batchSize();
        return NetworkFactory.create(new NetworkSpec(spec.model(), spec.norm(),
                spec.groups() == null ? 0 : spec.groups(), spec.width(), train.channels(), train.height(),
                train.width(), train.numClasses(), spec.lr(), spec.seed(), spec.modelDepth(),
                spec.effectiveZeroInitLastNorm(), Optimizers.updater(spec, stepsPerEpoch),
                spec.protocol().weightDecay()));
    }

    /** Pads images smaller than the model's input (e.g. 28x28 Fashion-MNIST for vgg-cifar's 32x32). */
    static TrainTest fitToModel(TrialSpec spec, TrainTest data) {
        int size = spec.model().inputSize();
        if (data.train().height() >= size && data.train().width() >= size) {
            return data;
        }
        return new TrainTest(data.train().padTo(size, size), data.test().padTo(size, size));
    }

    /** The epoch's order of training images: a Fisher-Yates shuffle seeded by (seed, epoch). */
    static int[] permutation(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = new Random(seed * 1_000_003L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** Mean cross-entropy and accuracy over the whole set, in inference mode. */
    static double[] evaluate(Net net, ImageDataset test) {
        double lossSum = 0;
        long correct = 0;
        int[] order = new int[test.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Batches batches = new Batches(test, EVAL_BATCH, order).keepLast();
        while (batches.hasNext()) {
            int[] labels = batches.next();
            INDArray probs = net.output(batches.features());
            float[] p = probs.dup('c').data().asFloat();
            int k = test.numClasses();
            for (int i = 0; i < labels.length; i++) {
                int best = 0;
                for (int c = 1; c < k; c++) {
                    if (p[i * k + c] > p[i * k + best]) {
                        best = c;
                    }
                }
                correct += best == labels[i] ? 1 : 0;
                lossSum -= Math.log(Math.max(p[i * k + labels[i]], 1e-12));
            }
        }
        return new double[] {lossSum / test.size(), (double) correct / test.size()};
    }

    /** Mini-batches of images in a given order, as ND4J arrays. */
    static final class Batches {
        private final ImageDataset data;
        private final int size;
        private final int[] order;
        private boolean keepLast;
        private Augmentation augmentation;
        private int epoch;
        private int position;
        private INDArray features;
        private INDArray labels;

        Batches(ImageDataset data, int size, int[] order) {
            this.data = data;
            this.size = size;
            this.order = order;
        }

        Batches keepLast() {
            keepLast = true;
            return this;
        }

        /** Augments every image (null: none), drawn from (seed, epoch, image index). */
        Batches augment(Augmentation a, int epochOfBatches) {
            this.augmentation = a;
            this.epoch = epochOfBatches;
            return this;
        }

        boolean hasNext() {
            return keepLast ? position < order.length : position + size <= order.length;
        }

        /** Moves to the next batch and returns its labels. */
        int[] next() {
            int n = Math.min(size, order.length - position);
            int imageSize = data.imageSize();
            int classes = data.numClasses();
            float[] x = new float[n * imageSize];
            float[] y = new float[n * classes];
            int[] labelIds = new int[n];
            float[] pixels = data.pixels();
            for (int i = 0; i < n; i++) {
                int img = order[position + i];
                if (augmentation == null) {
                    System.arraycopy(pixels, img * imageSize, x, i * imageSize, imageSize);
                } else {
                    augmentation.apply(pixels, img, x, i * imageSize, data.channels(), data.height(), data.width(),
                            epoch);
                }
                labelIds[i] = data.labels()[img];
                y[i * classes + labelIds[i]] = 1f;
            }
            position += n;
            features = Nd4j.create(x, new long[] {n, data.channels(), data.height(), data.width()}, 'c');
            labels = Nd4j.create(y, new long[] {n, classes}, 'c');
            return labelIds;
        }

        INDArray features() {
            return features;
        }

        INDArray labels() {
            return labels;
        }
    }
}
