package io.gnsweep.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.gnsweep.data.ClasspathDataFolder;
import io.gnsweep.data.DataFolder;
import io.gnsweep.data.DatasetLoader;
import io.gnsweep.data.ImageDataset;
import io.gnsweep.data.LocalDataFolder;
import io.gnsweep.data.TrainTest;
import io.gnsweep.layer.GroupNormalization;
import io.gnsweep.model.Model;
import io.gnsweep.model.Net;
import io.gnsweep.model.NormKind;
import io.gnsweep.optim.LrSchedule;
import io.gnsweep.runtime.NativeSetup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * One gnsweep trial trained by DL4J and by its PyTorch replica ({@code jobs/torch_trial.py}) from the same initial
 * weights (exported from the DL4J network before training) and the same mini-batches (the order of
 * {@link Trainer#permutation}, the last incomplete batch of each epoch dropped, as {@link Trainer} does), on the
 * network {@link Trainer#network} builds: DL4J in float32 on each requested GroupNorm path, optionally in float64
 * (the float32 network converted before training) and at the replica's weights of every step; the replica in
 * float32, float64 and ulp-perturbed float32 (see {@link Options}). Each run records the loss of every step
 * ({@code net.score()} after {@code net.fit}: the loss at the weights before that step's update) and, after
 * training, the test loss, accuracy and predicted classes.
 *
 * <p>By hand, for a chosen trial ({@code jobs/torch_trial_check.sh} builds the test classes and the class path):
 * <pre>
 * jobs/torch_trial_check.sh model=vgg-cifar model-width=0.25 norm=group groups=8 batch-size=32 lr=1e-3 \
 *     epochs=2 train-limit=2000 test-limit=2000 seed=3 [paths=fused,nd4j] [float64-steps=-1] \
 *     [dl4j-float64-steps=20] [perturbed=8] [out=FILE] [losses=FILE.csv] [dir=DIR]
 * </pre>
 * or a ResNet under SGD (the protocol's keys as {@code gnsweep train} spells them; no augmentation):
 * <pre>
 * jobs/torch_trial_check.sh model=resnet model-depth=8 model-width=0.25 norm=group groups=2 \
 *     zero-init-last-norm=false batch-size=32 lr=0.1 optimizer=sgd momentum=0.9 weight-decay=5e-4 \
 *     lr-schedule=step warmup-epochs=0.2 epochs=1 train-limit=1600 test-limit=500 float64-steps=12
 * </pre>
 * prints every run's per-step loss differences against the float64 replica (when it ran every step, else the
 * float32 one) and its test metrics ({@code --help}: every key and its default).
 */
final class TorchTrial {
    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Path SCRIPT = Path.of("jobs/torch_trial.py");
    /** Debian's dataset-fashion-mnist where installed, else the subset inside the jar (the same first images). */
    static final String DEFAULT_DATA = Files.isDirectory(Path.of("/usr/share/datasets/fashion-mnist"))
            ? "/usr/share/datasets/fashion-mnist" : ClasspathDataFolder.SHIPPED_FASHION_MNIST;
    /** Trainer's evaluation batch; inference does not depend on it beyond rounding. */
    static final int EVAL_BATCH = 250;

    private TorchTrial() {}

    /** The settings of a trial (Fashion-MNIST, padded to the model's input as Trainer pads it). */
    record Trial(Model model, double width, NormKind norm, Integer groups, int batchSize, double lr, int epochs,
                 long seed, int trainLimit, int testLimit, int depth, Boolean zeroInitLastNorm, Protocol protocol) {
        /** Adam at a constant rate (the default protocol), the default ResNet depth. */
        Trial(Model model, double width, NormKind norm, Integer groups, int batchSize, double lr, int epochs,
              long seed, int trainLimit, int testLimit) {
            this(model, width, norm, groups, batchSize, lr, epochs, seed, trainLimit, testLimit, Model.DEFAULT_DEPTH,
                    null, Protocol.DEFAULT);
        }

        TrialSpec spec(String dataPath) {
            return new TrialSpec("fashion-mnist", dataPath, trainLimit, testLimit, model, width, norm,
                    norm.usesGroups() ? groups : null, batchSize, lr, epochs, seed, depth, zeroInitLastNorm, protocol);
        }

        String id() {
            String base = String.format(Locale.ROOT, "%s-w%s-%s-bs%d-lr%s-e%d-n%d-s%d", model.id(), width,
                    norm.usesGroups() ? "group-g" + groups : norm.id(), batchSize, lr, epochs, trainLimit, seed);
            if (model.isResidual()) {
                base += "-d" + depth + (zeroInitLastNorm != null && !zeroInitLastNorm ? "-nozero" : "");
            }
            if (protocol.optimizer() != Protocol.Optimizer.ADAM) {
                base += "-" + protocol.optimizer().id() + (protocol.nesterov() ? "-nesterov" : "") + "-m"
                        + protocol.momentum() + "-" + protocol.lrSchedule().id() + "-warm" + protocol.warmupEpochs();
            }
            return protocol.weightDecay() != 0 ? base + "-wd" + protocol.weightDecay() : base;
        }
    }

    /** Which implementation of the GroupNorm layer a DL4J run uses (BatchNorm networks: either, the same). */
    enum GnPath {
        FUSED("true"), ND4J("false");

        final String property;

        GnPath(String property) {
            this.property = property;
        }

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One training run: per-step losses, then the test metrics and the predicted class of each test image. */
    record Run(String label, double[] losses, double testLoss, double testAccuracy, int[] predictions, double seconds) {}

    /**
     * All runs of one trial, keyed by label: DL4J's ({@code dl4j-f32-fused}, {@code dl4j-f64-nd4j}, ...; no path
     * suffix for BatchNorm networks) and the replica's ({@code torch-f32}, {@code torch-f64}, the ulp-perturbed
     * {@code torch-f32-p1} ...).
     */
    record Outcome(Trial trial, Map<String, Run> dl4j, Map<String, Run> torch, Map<String, double[]> atTorch) {
        Run torch32() {
            return torch.get("torch-f32");
        }

        /** The float64 replica, or null when none ran. */
        Run torch64() {
            return torch.get("torch-f64");
        }

        /** The ulp-perturbed float32 replicas. */
        List<Run> ensemble() {
            List<Run> out = new ArrayList<>();
            torch.forEach((k, v) -> {
                if (k.startsWith("torch-f32-p")) {
                    out.add(v);
                }
            });
            return out;
        }

        int steps() {
            return torch32().losses().length;
        }
    }

    /**
     * What to run besides DL4J's float32 runs on {@code paths} and the float32 replica: a float64 replica for the
     * first {@code float64Steps} steps and DL4J float64 runs for the first {@code dl4jFloat64Steps} (at most as
     * many; -1: all, 0: none; they are slow: DL4J has no oneDNN in float64, torch's float64 CPU convolutions are
     * slow too, and they are compared on the steps both ran); {@code perturbed} ulp-perturbed float32 replicas (see
     * jobs/torch_trial.py); {@code epsScale} != 1 makes a deliberately wrong replica; {@code reuseReplica} keeps
     * the replica's result in {@code dir} when its manifest and arguments are unchanged; {@code dumpAfter} > 0
     * writes every run's parameters after that many steps into {@code dir/dump-<run>/} (float64 little-endian,
     * one file per parameter) to see where runs part; {@code atReplicaWeights} also computes DL4J's float32 loss of
     * every step at the float32 replica's weights of that step (the {@code -at-torch} runs: no training of its own,
     * so no chaos; see {@link #atReplicaWeights}).
     */
    record Options(List<GnPath> paths, int float64Steps, int dl4jFloat64Steps, int perturbed, double epsScale,
                   boolean reuseReplica, int dumpAfter, boolean atReplicaWeights) {}

    /** Loads the data, prepares ND4J (one thread) and runs {@link #run}. */
    static Outcome run(Trial t, String dataPath, Path dir, Options opt) throws IOException, InterruptedException {
        NativeSetup.bindThreads(1);
        DataFolder folder = ClasspathDataFolder.isClasspath(dataPath) ? new ClasspathDataFolder(dataPath)
                : new LocalDataFolder(Path.of(dataPath));
        TrainTest data = DatasetLoader.load("fashion-mnist", folder, t.trainLimit(), t.testLimit());
        return run(t, Trainer.fitToModel(t.spec(dataPath), data), dir, opt);
    }

    /**
     * Exports the trial into {@code dir}, starts the replica on it (it runs while DL4J trains) and trains DL4J on
     * each path, in float32 and, when asked, float64.
     */
    static Outcome run(Trial t, TrainTest fitted, Path dir, Options opt) throws IOException, InterruptedException {
        ImageDataset train = fitted.train();
        ImageDataset test = fitted.test();
        // the harness's own network: its updater and learning-rate schedule follow the trial's protocol
        TorchNet net = TorchNet.of(Trainer.network(t.spec("(in memory)"), train).dl4j());
        int[][] batches = batches(train.size(), t.batchSize(), t.seed(), t.epochs());
        TorchExchange.write(dir, net.dl4j(), InputType.convolutional(train.height(), train.width(), train.channels()), train,
                batches, learningRates(net, batches.length), test, EVAL_BATCH);
        int steps64 = opt.float64Steps() < 0 ? batches.length : Math.min(opt.float64Steps(), batches.length);
        List<String> cmd = replicaCommand(dir, opt, steps64);
        byte[] key = (String.join(" ", cmd) + "\n" + Files.readString(dir.resolve("manifest.json")))
                .getBytes(StandardCharsets.UTF_8);
        Path previous = dir.resolve("replica-key.txt");
        boolean reuse = opt.reuseReplica() && Files.exists(dir.resolve(TorchExchange.RESULT)) && Files.exists(previous)
                && java.util.Arrays.equals(key, Files.readAllBytes(previous));
        Files.deleteIfExists(previous);
        ProcessBuilder pb = new ProcessBuilder(reuse ? List.of("true") : cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process torch = pb.start();
        try {
            int dl4jSteps64 = opt.dl4jFloat64Steps() < 0 ? steps64 : Math.min(opt.dl4jFloat64Steps(), steps64);
            TorchNet f64 = dl4jSteps64 > 0 ? net.convert(DataType.DOUBLE) : null;
            int[][] batches64 = java.util.Arrays.copyOf(batches, dl4jSteps64);
            Map<String, Run> dl4j = new LinkedHashMap<>();
            List<GnPath> used = t.norm() == NormKind.BATCH ? List.of(GnPath.FUSED) : opt.paths();
            for (GnPath p : used) {
                String suffix = t.norm() == NormKind.BATCH ? "" : "-" + p.id();
                String l32 = "dl4j-f32" + suffix;
                dl4j.put(l32, onPath(p, () -> train(net.copy(), train, batches, test, l32, dumper(dir, l32, opt))));
                if (f64 != null) {
                    String l64 = "dl4j-f64" + suffix;
                    dl4j.put(l64, onPath(p, () -> train(f64.copy(), train, batches64, test, l64,
                            dumper(dir, l64, opt))));
                }
            }
            if (!torch.waitFor(10, TimeUnit.MINUTES)) {
                throw new IOException("the replica did not finish in 10 minutes");
            }
            String log = new String(torch.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (torch.exitValue() != 0) {
                throw new IOException("the replica failed (exit " + torch.exitValue() + "): " + log);
            }
            Files.write(previous, key);
            Map<String, Run> replica = new LinkedHashMap<>();
            TorchExchange.readResult(dir).path("runs").fields().forEachRemaining(e -> {
                String label = "torch-" + e.getKey().replace("float", "f");
                replica.put(label, fromJson(e.getValue(), label));
            });
            if (!replica.containsKey("torch-f32")) {
                throw new IOException("the replica wrote no float32 run");
            }
            Map<String, double[]> atTorch = new LinkedHashMap<>();
            if (opt.atReplicaWeights()) {
                for (GnPath p : used) {
                    String label = "dl4j-f32" + (t.norm() == NormKind.BATCH ? "" : "-" + p.id()) + "-at-torch";
                    atTorch.put(label, onPath(p, () -> atReplicaWeights(net.copy(), dir, train, batches)));
                }
            }
            return new Outcome(t, dl4j, replica, atTorch);
        } finally {
            torch.destroy();
        }
    }

    /** The image indices of every step: each epoch's {@link Trainer#permutation} in whole batches. */
    static int[][] batches(int n, int batchSize, long seed, int epochs) {
        List<int[]> out = new ArrayList<>();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            int[] order = Trainer.permutation(n, seed, epoch);
            for (int start = 0; start + batchSize <= n; start += batchSize) {
                int[] b = new int[batchSize];
                System.arraycopy(order, start, b, 0, batchSize);
                out.add(b);
            }
        }
        return out.toArray(new int[0][]);
    }

    /**
     * The learning rate DL4J's updater uses at each step: its schedule at the iteration count, with the epoch
     * count fixed, as {@code net.fit(features, labels)} leaves it. Every trainable parameter must share one
     * updater configuration (the replica takes one learning rate per step).
     */
    static double[] learningRates(TorchNet net, int steps) {
        Set<IUpdater> updaters = new HashSet<>();
        for (Layer layer : net.layers().values()) {
            for (String key : layer.paramTable().keySet()) {
                IUpdater u = layer.conf().getLayer().getUpdaterByParam(key);
                if (!(u instanceof NoOp)) {
                    updaters.add(u);
                }
            }
        }
        if (updaters.size() != 1) {
            throw new IllegalArgumentException("expected one updater configuration, got " + updaters);
        }
        IUpdater u = updaters.iterator().next();
        double[] lrs = new double[steps];
        for (int s = 0; s < steps; s++) {
            lrs[s] = u.getLearningRate(net.iterationCount() + s, net.epochCount());
        }
        return lrs;
    }

    /** Trains the network on the given batches, recording net.score() per step, then evaluates it. */
    static Run train(TorchNet torchNet, ImageDataset train, int[][] batches, ImageDataset test, String label,
            AfterStep afterStep) {
        Net net = torchNet.net();
        DataType type = torchNet.dataType();
        double[] losses = new double[batches.length];
        long t0 = System.nanoTime();
        for (int s = 0; s < batches.length; s++) {
            // as Trainer: DL4J's score adds the L2 term of the weights the step started from; the replica reports
            // the data loss alone (calcRegularizationScore is exactly 0 without regularization)
            double penalty = net.regularization();
            net.fit(features(train, batches[s], type), labels(train, batches[s], type));
            losses[s] = net.score() - penalty;
            afterStep.accept(s + 1, torchNet);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        int[] predictions = new int[test.size()];
        double lossSum = 0;
        int k = test.numClasses();
        for (int start = 0; start < test.size(); start += EVAL_BATCH) {
            int[] idx = new int[Math.min(EVAL_BATCH, test.size() - start)];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = start + i;
            }
            double[] p = net.output(features(test, idx, type)).castTo(DataType.DOUBLE).dup('c').data().asDouble();
            for (int i = 0; i < idx.length; i++) {
                int best = 0;
                for (int c = 1; c < k; c++) {
                    if (p[i * k + c] > p[i * k + best]) {
                        best = c;
                    }
                }
                predictions[start + i] = best;
                lossSum -= Math.log(Math.max(p[i * k + test.labels()[start + i]], 1e-12));
            }
        }
        int correct = 0;
        for (int i = 0; i < predictions.length; i++) {
            correct += predictions[i] == test.labels()[i] ? 1 : 0;
        }
        return new Run(label, losses, lossSum / test.size(), (double) correct / test.size(), predictions, seconds);
    }

    private static INDArray features(ImageDataset d, int[] idx, DataType type) {
        int size = d.imageSize();
        float[] x = new float[idx.length * size];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(d.pixels(), idx[i] * size, x, i * size, size);
        }
        INDArray a = Nd4j.create(x, new long[] {idx.length, d.channels(), d.height(), d.width()}, 'c');
        return type == DataType.FLOAT ? a : a.castTo(type);
    }

    private static INDArray labels(ImageDataset d, int[] idx, DataType type) {
        float[] y = new float[idx.length * d.numClasses()];
        for (int i = 0; i < idx.length; i++) {
            y[i * d.numClasses() + d.labels()[idx[i]]] = 1f;
        }
        INDArray a = Nd4j.create(y, new long[] {idx.length, d.numClasses()}, 'c');
        return type == DataType.FLOAT ? a : a.castTo(type);
    }

    /**
     * DL4J's training loss of every step computed at the weights the float32 replica started that step from (its
     * {@code states/<step>.bin}), on that step's batch, in training mode (batch statistics; nothing is updated).
     * Both sides evaluate the same function at the same point, so the two differ by rounding alone at every step,
     * however far the free-running trainings have parted.
     */
    static double[] atReplicaWeights(TorchNet net, Path dir, ImageDataset train, int[][] batches) {
        double[] losses = new double[batches.length];
        DataType type = net.dataType();
        try {
            for (int s = 0; s < batches.length; s++) {
                TorchExchange.readTrainable(dir.resolve("states").resolve((s + 1) + ".bin"), net);
                losses[s] = net.score(features(train, batches[s], type), labels(train, batches[s], type))
                        - net.net().regularization();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return losses;
    }

    private interface Job<T> {
        T get();
    }

    /** Runs the job with the GroupNorm layers on the given path, restoring the property after. */
    private static <T> T onPath(GnPath p, Job<T> job) {
        String before = System.getProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY);
        System.setProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY, p.property);
        try {
            return job.get();
        } finally {
            if (before == null) {
                System.clearProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY);
            } else {
                System.setProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY, before);
            }
        }
    }

    /** Called after each training step (1, 2, ...). */
    interface AfterStep {
        void accept(int step, TorchNet net);
    }

    /** Writes the network's parameters after {@code opt.dumpAfter()} steps (see {@link Options}). */
    private static AfterStep dumper(Path dir, String label, Options opt) {
        return (step, net) -> {
            if (step != opt.dumpAfter()) {
                return;
            }
            try {
                Path out = Files.createDirectories(dir.resolve("dump-" + label));
                for (Map.Entry<String, Layer> layer : net.layers().entrySet()) {
                    String node = layer.getKey();
                    for (Map.Entry<String, INDArray> p : layer.getValue().paramTable().entrySet()) {
                        double[] v = p.getValue().castTo(DataType.DOUBLE).dup('c').data().asDouble();
                        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * v.length)
                                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                        b.asDoubleBuffer().put(v);
                        Files.write(out.resolve(node + "." + p.getKey() + ".bin"), b.array());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    private static List<String> replicaCommand(Path dir, Options opt, int steps64) {
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), SCRIPT.toString(), dir.toString(),
                "--threads", "1", "--float64-steps", Integer.toString(steps64), "--perturb",
                Integer.toString(opt.perturbed())));
        if (opt.epsScale() != 1.0) {
            cmd.add("--eps-scale");
            cmd.add(Double.toString(opt.epsScale()));
        }
        if (opt.dumpAfter() > 0) {
            cmd.add("--dump-after");
            cmd.add(Integer.toString(opt.dumpAfter()));
        }
        if (opt.atReplicaWeights()) {
            cmd.add("--save-states");
        }
        return cmd;
    }

    /** Whether {@link #PYTHON} imports torch (the replica's only requirement besides numpy). */
    static String torchMissing() {
        if (!Files.isExecutable(PYTHON)) {
            return PYTHON + " not found";
        }
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch, numpy").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? null : PYTHON + " cannot import torch/numpy: " + out.trim();
        } catch (IOException e) {
            return PYTHON + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static Run fromJson(JsonNode run, String label) {
        double[] losses = new double[run.path("loss").size()];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = run.path("loss").get(i).asDouble();
        }
        int[] predictions = new int[run.path("predictions").size()];
        for (int i = 0; i < predictions.length; i++) {
            predictions[i] = run.path("predictions").get(i).asInt();
        }
        return new Run(label, losses, run.path("test_loss").asDouble(), run.path("test_accuracy").asDouble(),
                predictions, run.path("train_seconds").asDouble());
    }

    // ---- comparison -------------------------------------------------------------------------------------------

    /** |a - ref| per step over the first {@code steps} steps, and relative to |ref|. */
    record Diff(double[] abs, double[] rel) {
        double maxAbs() {
            return max(abs);
        }

        double maxRel() {
            return max(rel);
        }

        private static double max(double[] v) {
            double m = 0;
            for (double x : v) {
                m = Math.max(m, x);
            }
            return m;
        }
    }

    static Diff diff(Run a, Run ref, int steps) {
        if (a.losses().length < steps || ref.losses().length < steps) {
            throw new IllegalArgumentException(a.label() + " / " + ref.label() + ": fewer than " + steps + " steps");
        }
        double[] abs = new double[steps];
        double[] rel = new double[steps];
        for (int s = 0; s < steps; s++) {
            abs[s] = Math.abs(a.losses()[s] - ref.losses()[s]);
            rel[s] = abs[s] / Math.abs(ref.losses()[s]);
        }
        return new Diff(abs, rel);
    }

    /** Test images whose predicted class differs between two runs. */
    static int disagreements(Run a, Run b) {
        int n = 0;
        for (int i = 0; i < a.predictions().length; i++) {
            n += a.predictions()[i] == b.predictions()[i] ? 0 : 1;
        }
        return n;
    }

    /**
     * Two tables. Float32: every float32 run (and a full-length float64 replica) against the reference, the
     * float64 replica when it ran every step, else the float32 one; max abs / max rel loss difference over the
     * first k steps, test accuracy, test loss, and test images classified differently from the reference.
     * Float64: DL4J's float64 runs against the float64 replica over the steps they ran.
     */
    static String report(Outcome o) {
        int steps = o.steps();
        Run t64 = o.torch64();
        Run ref = t64 != null && t64.losses().length == steps ? t64 : o.torch32();
        List<Run> f32 = new ArrayList<>();
        List<Run> f64 = new ArrayList<>();
        o.dl4j().values().forEach(r -> (r.label().contains("-f64") ? f64 : f32).add(r));
        o.torch().values().forEach(r -> {
            if (r != ref && r.losses().length == steps) {
                f32.add(r);
            }
        });
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "trial %s: %d steps%n", o.trial().id(), steps));
        table(s, "float32 runs against " + ref.label(), f32, ref, steps);
        if (!f64.isEmpty() && t64 != null) {
            table(s, "float64 runs against torch-f64", f64, t64, f64.get(0).losses().length);
        }
        if (!o.atTorch().isEmpty()) {
            s.append(String.format(Locale.ROOT, "DL4J float32 at the float32 replica's weights of each step, against its"
                    + " loss there (max abs / max rel over all %d steps):%n", steps));
            o.atTorch().forEach((label, losses) -> {
                Diff d = diff(new Run(label, losses, 0, 0, new int[0], 0), o.torch32(), steps);
                s.append(String.format(Locale.ROOT, "  %-24s %9.2e/%9.2e%n", label, d.maxAbs(), d.maxRel()));
            });
        }
        return s.toString();
    }

    private static void table(StringBuilder s, String title, List<Run> runs, Run ref, int steps) {
        int[] marks = {1, 10, 50, 100, 200, 500};
        s.append(String.format(Locale.ROOT, "%s (loss difference max abs / max rel over steps 1..k):%n", title));
        s.append(String.format(Locale.ROOT, "  %-16s", "run"));
        for (int m : marks) {
            if (m < steps) {
                s.append(String.format(Locale.ROOT, "  %-19s", "k=" + m));
            }
        }
        s.append(String.format(Locale.ROOT, "  %-19s  %8s %9s %6s  %7s%n", "k=" + steps + " (all)", "test_acc",
                "test_loss", "differ", "train_s"));
        for (Run r : runs) {
            s.append(String.format(Locale.ROOT, "  %-16s", r.label()));
            for (int m : marks) {
                if (m < steps) {
                    Diff d = diff(r, ref, m);
                    s.append(String.format(Locale.ROOT, "  %9.2e/%9.2e", d.maxAbs(), d.maxRel()));
                }
            }
            Diff d = diff(r, ref, steps);
            // test metrics are comparable only after the same number of steps
            String test = r.losses().length == ref.losses().length ? String.format(Locale.ROOT, "%7.2f%% %9.5f %6d",
                    100 * r.testAccuracy(), r.testLoss(), disagreements(r, ref)) : String.format(Locale.ROOT,
                    "%-24s", "(test after " + r.losses().length + ")");
            s.append(String.format(Locale.ROOT, "  %9.2e/%9.2e  %s  %7.1f%n", d.maxAbs(), d.maxRel(), test,
                    r.seconds()));
        }
        s.append(String.format(Locale.ROOT, "  %-16s  %7.2f%% %9.5f (reference)%n", ref.label(),
                100 * ref.testAccuracy(), ref.testLoss()));
    }

    /** Per-step losses of every run, one line per step (empty where a run stopped earlier). */
    static String losses(Outcome o) {
        List<Run> runs = new ArrayList<>(o.dl4j().values());
        runs.addAll(o.torch().values());
        StringBuilder s = new StringBuilder("step");
        for (Run r : runs) {
            s.append(',').append(r.label());
        }
        s.append('\n');
        for (int i = 0; i < o.steps(); i++) {
            s.append(i + 1);
            for (Run r : runs) {
                s.append(',').append(i < r.losses().length ? Double.toString(r.losses()[i]) : "");
            }
            s.append('\n');
        }
        return s.toString();
    }

    /** {@code key=value ...}: the trial (keys as {@code gnsweep train}'s where they exist) and what to run. */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("model", "vgg-cifar", "model-width", "0.25", "norm",
                "group", "groups", "8", "batch-size", "32", "lr", "1e-3", "epochs", "1", "seed", "1",
                "train-limit", "2000", "test-limit", "1000"));
        a.putAll(Map.of("paths", "fused,nd4j", "float64-steps", "-1", "dl4j-float64-steps", "-1", "perturbed", "4",
                "eps-scale", "1", "data", DEFAULT_DATA, "reuse-replica", "false", "dump-after", "0"));
        a.put("at-replica-weights", "true");
        // the ResNet's and the protocol's keys, as gnsweep train spells them (augmentation has no replica)
        Protocol dp = Protocol.DEFAULT;
        a.putAll(Map.of("model-depth", Integer.toString(Model.DEFAULT_DEPTH), "zero-init-last-norm", "true",
                "optimizer", dp.optimizer().id(), "momentum", Double.toString(dp.momentum()), "nesterov",
                Boolean.toString(dp.nesterov()), "weight-decay", Double.toString(dp.weightDecay()), "lr-schedule",
                dp.lrSchedule().id(), "lr-milestones", dp.lrMilestones().stream().map(String::valueOf)
                        .collect(java.util.stream.Collectors.joining(",")), "lr-decay", Double.toString(dp.lrDecay()),
                "warmup-epochs", Double.toString(dp.warmupEpochs())));
        Set<String> extra = Set.of("dir", "out", "losses");
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String key = eq < 1 ? arg : arg.substring(0, eq);
            if (eq < 1 || !(a.containsKey(key) || extra.contains(key))) {
                (arg.equals("--help") ? System.out : System.err).println("usage: TorchTrial [key=value ...]; keys and defaults: " + a
                        + "; also dir=DIR (exchange folder, default a new temporary one), out=FILE (append the"
                        + " report), losses=FILE.csv (per-step losses of every run)");
                System.exit(arg.equals("--help") ? 0 : 2);
            }
            a.put(key, arg.substring(eq + 1));
        }
        String missing = torchMissing();
        if (missing != null) {
            System.err.println(missing + " (apt-get install -y python3-torch)");
            System.exit(2);
        }
        NormKind norm = NormKind.parse(a.get("norm"));
        List<Double> milestones = new ArrayList<>();
        for (String m : a.get("lr-milestones").split(",")) {
            milestones.add(Double.parseDouble(m.trim()));
        }
        Protocol protocol = new Protocol(Protocol.Optimizer.parse(a.get("optimizer")),
                Double.parseDouble(a.get("momentum")), Boolean.parseBoolean(a.get("nesterov")),
                Double.parseDouble(a.get("weight-decay")), LrSchedule.Kind.parse(a.get("lr-schedule")), milestones,
                Double.parseDouble(a.get("lr-decay")), Double.parseDouble(a.get("warmup-epochs")),
                Protocol.Augment.NONE);
        Trial t = new Trial(Model.parse(a.get("model")), Double.parseDouble(a.get("model-width")), norm,
                norm.usesGroups() ? Integer.valueOf(a.get("groups")) : null, Integer.parseInt(a.get("batch-size")),
                Double.parseDouble(a.get("lr")), Integer.parseInt(a.get("epochs")), Long.parseLong(a.get("seed")),
                Integer.parseInt(a.get("train-limit")), Integer.parseInt(a.get("test-limit")),
                Integer.parseInt(a.get("model-depth")), Boolean.parseBoolean(a.get("zero-init-last-norm")), protocol);
        List<GnPath> paths = new ArrayList<>();
        for (String p : a.get("paths").split(",")) {
            paths.add(GnPath.valueOf(p.trim().toUpperCase(Locale.ROOT)));
        }
        Path dir = a.containsKey("dir") ? Path.of(a.get("dir")) : Files.createTempDirectory("torch-trial-");
        Outcome o = run(t, a.get("data"), dir, new Options(paths, Integer.parseInt(a.get("float64-steps")),
                Integer.parseInt(a.get("dl4j-float64-steps")), Integer.parseInt(a.get("perturbed")), Double.parseDouble(a.get("eps-scale")), Boolean.parseBoolean(a.get("reuse-replica")),
                Integer.parseInt(a.get("dump-after")), Boolean.parseBoolean(a.get("at-replica-weights"))));
        String report = report(o);
        System.out.print(report);
        try {
            if (a.containsKey("out")) {
                Files.writeString(Path.of(a.get("out")), report, StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            }
            if (a.containsKey("losses")) {
                Files.writeString(Path.of(a.get("losses")), losses(o), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println("exchange folder: " + dir);
    }
}
