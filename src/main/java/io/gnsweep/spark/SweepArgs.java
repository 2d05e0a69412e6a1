package io.gnsweep.spark;

import io.gnsweep.config.CommandLines;
import io.gnsweep.config.Overrides;
import io.gnsweep.config.UsageException;
import io.gnsweep.sweep.SweepSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code sweep} command line: {@code [spec.conf] [path=value ...] [--rerun-failed] [--dry-run] [--master URL]
 * [--out DIR]}. The spec path, when given, comes before the first override.
 */
@Command(name = "gnsweep sweep", mixinStandardHelpOptions = true, versionProvider = CommandLines.Version.class,
        description = "Runs a sweep on Spark, one trial per task (jobs/sweep.sh launches it through spark-submit).")
final class SweepArgs {
    @Parameters(paramLabel = "[spec.conf] [path=value]", description = "the spec (default: conf/sweeps/quick.conf, "
            + "embedded), then keys of it to override, e.g. axes.groups=[4,8] train.epochs=2")
    private List<String> positional = new ArrayList<>();

    @Option(names = "--rerun-failed", description = "run the sweep's FAILED trials again, besides the missing ones")
    private boolean rerunFailed;

    @Option(names = "--dry-run", description = "check everything and list the trials, then stop: nothing runs")
    private boolean dryRun;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: the one spark-submit "
            + "set, else local[*])")
    private String master;

    @Option(names = "--out", paramLabel = "DIR", description = "results folder: the same as output=DIR")
    private String out;

    private Path spec;
    private final List<String> overrides = new ArrayList<>();

    private SweepArgs() {}

    /**
     * Parses the arguments; null when they asked for {@code --help} or {@code --version}, answered on {@code out}.
     *
     * @throws UsageException for an unknown option, a missing value, an argument out of place
     */
    static SweepArgs parse(String[] argv, PrintStream out) {
        SweepArgs a = new SweepArgs();
        if (CommandLines.answeredHelp(a, argv, out, SweepArgs::reference)) {
            return null;
        }
        for (String p : a.positional) {
            if (p.contains("=")) {
                a.overrides.add(p);
            } else if (a.spec == null && a.overrides.isEmpty()) {
                a.spec = Path.of(p);
            } else {
                throw new UsageException("unexpected argument '" + p + "' (expected path=value)");
            }
        }
        if (a.out != null) {
            for (String o : a.overrides) {
                if (o.substring(0, o.indexOf('=')).trim().equals("output")) {
                    throw new UsageException("--out " + a.out + " and " + o + " both set the results folder: give one");
                }
            }
            a.overrides.add(Overrides.literal("output", a.out));
        }
        return a;
    }

    /** The spec file, or null for the embedded quick spec. */
    Path spec() {
        return spec;
    }

    /** The {@code path=value} overrides, in order ({@code --out DIR} last, as {@code output}). */
    List<String> overrides() {
        return overrides;
    }

    boolean rerunFailed() {
        return rerunFailed;
    }

    boolean dryRun() {
        return dryRun;
    }

    /** The {@code --master} URL, or null. */
    String master() {
        return master;
    }

    /** What {@code --help} prints under the usage: every key a spec may set, with its default. */
    private static String reference() {
        String text;
        try (var in = SweepArgs.class.getClassLoader().getResourceAsStream(SweepSpec.REFERENCE)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            text = "(" + SweepSpec.REFERENCE + " not found)";
        }
        return "Every key a spec may set, with its default (" + SweepSpec.REFERENCE + "):\n\n" + text;
    }
}
