package io.gnsweep.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.gnsweep.config.CommandLines;
import io.gnsweep.config.DataSettings;
import io.gnsweep.config.Overrides;
import io.gnsweep.config.ProtocolSettings;
import io.gnsweep.config.UsageException;
import io.gnsweep.data.ClasspathDataFolder;
import io.gnsweep.data.DataFolder;
import io.gnsweep.data.DatasetLoader;
import io.gnsweep.data.LocalDataFolder;
import io.gnsweep.data.TrainTest;
import io.gnsweep.model.Model;
import io.gnsweep.model.NormKind;
import io.gnsweep.runtime.NativeSetup;
import io.gnsweep.train.EpochMetrics;
import io.gnsweep.train.Protocol;
import io.gnsweep.train.TrialResult;
import io.gnsweep.train.TrialSpec;
import io.gnsweep.train.TrialStatus;
import io.gnsweep.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code gnsweep train [key=value ...]}: trains one trial without Spark and prints its per-epoch metrics.
 * The keys and their defaults are those of {@code gnsweep/train-defaults.conf} ({@code --help} prints it).
 */
@Command(name = "gnsweep train", mixinStandardHelpOptions = true, versionProvider = CommandLines.Version.class,
        description = "Trains one trial without Spark and prints its per-epoch metrics.")
public final class TrainCommand {
    private static final String DEFAULTS = "gnsweep/train-defaults.conf";

    @Parameters(paramLabel = "key=value", description = "a key of the defaults below and its value (HOCON)")
    private List<String> overrides = new ArrayList<>();

    private TrainCommand() {}

    /** Runs the command; returns the exit status (0 complete, 1 diverged or failed, 2 bad input). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        TrainCommand command = new TrainCommand();
        try {
            if (CommandLines.answeredHelp(command, args, out,
                    () -> "Keys and defaults (" + DEFAULTS + "):\n\n" + defaultsText())) {
                return 0;
            }
        } catch (UsageException e) {
            err.println("gnsweep train: " + e.getMessage());
            return UsageException.EXIT;
        }
        return command.train(out, err);
    }

    private int train(PrintStream out, PrintStream err) {
        TrialSpec spec;
        int threads;
        Path stepTimes;
        TrainTest data;
        try {
            Config c = Overrides.apply(ConfigFactory.parseResources(DEFAULTS), overrides);
            spec = spec(c);
            threads = Overrides.getInt(c, "threads");
            if (threads < 0) {
                throw new UsageException("threads = " + threads + ": must be >= 0 (0 = all cores)");
            }
            stepTimes = c.getIsNull("step-times") ? null : stepTimesFile(Overrides.getString(c, "step-times"));
            DataFolder folder = ClasspathDataFolder.isClasspath(spec.dataPath())
                    ? new ClasspathDataFolder(spec.dataPath()) : new LocalDataFolder(Path.of(spec.dataPath()));
            try {
                DatasetLoader.check(spec.dataset(), folder);
                NativeSetup.bindThreads(threads);
                data = DatasetLoader.load(spec.dataset(), folder, spec.trainLimit(), spec.testLimit());
            } catch (IllegalArgumentException | IOException e) {
                throw new UsageException("dataset.path = " + spec.dataPath() + ": " + e.getMessage());
            }
        } catch (UsageException | IllegalArgumentException e) {
            err.println("gnsweep train: " + e.getMessage());
            return UsageException.EXIT;
        }
        Protocol p = spec.protocol();
        out.printf(Locale.ROOT, "trial %s: %s on %s (%d train / %d test images), %s, %s, backend %s%s%n",
                spec.trialId(), spec.model().id() + (spec.model().isResidual() ? "-" + spec.modelDepth() : ""),
                spec.dataset(), data.train().size(), data.test().size(),
                spec.norm() == NormKind.GROUP ? "GroupNorm G=" + spec.groups() : spec.norm().id(),
                p.optimizer().id() + (p.weightDecay() > 0 ? " wd " + p.weightDecay() : "")
                        + (p.lrSchedule() == io.gnsweep.optim.LrSchedule.Kind.CONSTANT ? "" : " " + p.lrSchedule().id())
                        + (p.warmupEpochs() > 0 ? " warm-up " + p.warmupEpochs() : "")
                        + (p.augment() == Protocol.Augment.NONE ? "" : " " + p.augment().id()),
                NativeSetup.backend(), NativeSetup.oneDnnEnabled() ? " (oneDNN)" : "");
        StringBuilder steps = new StringBuilder(STEP_TIMES_HEADER);
        TrialResult result = Trainer.run(spec, data, "cpu", m -> {
            out.println(line(m, spec.epochs()));
            if (stepTimes != null) {
                try {
                    Files.writeString(stepTimes, steps); // the steps so far, after every epoch
                } catch (IOException e) {
                    throw new UncheckedIOException("step-times = " + stepTimes + ": " + e.getMessage(), e);
                }
            }
        }, net -> { }, stepTimes == null ? (epoch, step, nanos) -> { }
                : (epoch, step, nanos) -> steps.append(epoch).append('\t').append(step).append('\t')
                        .append(String.format(Locale.ROOT, "%.3f", nanos / 1e6)).append('\n'));
        if (result.status() != TrialStatus.COMPLETE) {
            err.println("gnsweep train: " + result.status() + ": " + result.error());
            return 1;
        }
        out.printf(Locale.ROOT, "done: test accuracy %.2f%%, %.0f images/s, %d parameters%n",
                100 * result.testAccuracy(), result.imagesPerS(), result.numParams());
        return 0;
    }

    /** Builds the trial from a resolved configuration with the keys of the defaults file. */
    static TrialSpec spec(Config c) {
        DataSettings data = DataSettings.read(c);
        NormKind norm = Overrides.parse("norm", () -> NormKind.parse(Overrides.getString(c, "norm")));
        Model model = Overrides.parse("model", () -> Model.parse(Overrides.getString(c, "model")));
        Protocol protocol = ProtocolSettings.read(c, "");
        ProtocolSettings.refuseInapplicable(protocol, protocol.optimizer() == Protocol.Optimizer.SGD, "");
        Boolean zeroInit = c.getIsNull("zero-init-last-norm") ? null : Overrides.getBoolean(c, "zero-init-last-norm");
        TrialSpec spec = new TrialSpec(data.name(), data.path(), data.trainLimit(), data.testLimit(), model,
                Overrides.getDouble(c, "model-width"), norm,
                norm.usesGroups() ? Integer.valueOf(Overrides.getInt(c, "groups")) : null,
                Overrides.getInt(c, "batch-size"), Overrides.getDouble(c, "lr"), Overrides.getInt(c, "epochs"),
                Overrides.getInt(c, "seed"), Overrides.getInt(c, "model-depth"), zeroInit, protocol);
        try {
            spec.validate();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return spec;
    }

    /** The step-times file's first line: epoch, step (both 1-based) and the step's wall time in milliseconds. */
    static final String STEP_TIMES_HEADER = "epoch\tstep\tms\n";

    /** The step-times file: refused before any work unless its folder exists and it can be written there. */
    static Path stepTimesFile(String value) {
        Path file = Path.of(value).toAbsolutePath();
        Path folder = file.getParent();
        if (Files.isDirectory(file)) {
            throw new UsageException("step-times = " + value + ": is a folder, not a file");
        }
        if (folder == null || !Files.isDirectory(folder)) {
            throw new UsageException("step-times = " + value + ": its folder " + folder + " does not exist");
        }
        if (Files.exists(file) ? !Files.isWritable(file) : !Files.isWritable(folder)) {
            throw new UsageException("step-times = " + value + ": cannot be written");
        }
        return file;
    }

    static String line(EpochMetrics m, int epochs) {
        return String.format(Locale.ROOT, "epoch %d/%d  train_loss %.4f  test_loss %.4f  test_accuracy %.2f%%  "
                        + "%.0f images/s  (%.1f s)", m.epoch(), epochs, m.trainLoss(), m.testLoss(),
                100 * m.testAccuracy(), m.imagesPerS(), m.epochTimeS());
    }

    private static String defaultsText() {
        try (var in = TrainCommand.class.getClassLoader().getResourceAsStream(DEFAULTS)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            return "(defaults not found)";
        }
    }
}
