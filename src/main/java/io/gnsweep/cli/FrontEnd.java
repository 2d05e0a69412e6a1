package io.gnsweep.cli;

import io.gnsweep.config.CommandLines;
import io.gnsweep.config.UsageException;
import io.gnsweep.report.ReportJob;
import io.gnsweep.spark.SweepJob;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The top level of {@code gnsweep.jar}: {@code gnsweep [--help | --version] COMMAND [ARGUMENTS]}, which hands
 * the arguments after COMMAND to {@link TrainCommand}, {@link SweepJob} or {@link ReportJob}. Each of them parses
 * its own with {@link CommandLines}, so every command spells its options, {@code --help} and {@code --version}
 * the same way.
 */
@Command(name = "gnsweep", mixinStandardHelpOptions = true, versionProvider = CommandLines.Version.class,
        description = "An Apache Spark experiment harness for normalisation layers.",
        footer = {"", "Commands (each takes --help and --version):",
            "  train  [key=value ...]                     train one trial without Spark",
            "  sweep  [spec.conf] [key=value ...]         run a sweep on Spark (use jobs/sweep.sh)",
            "  report RESULTS_DIR [...] [--out DIR]       compare sweeps (use jobs/report.sh)",
            "Exit status: 0 success, 1 the work failed, 2 bad input."})
public final class FrontEnd {
    @Parameters(index = "0", arity = "0..1", paramLabel = "COMMAND", description = "train, sweep or report")
    private String command;

    @Parameters(index = "1..*", paramLabel = "ARGUMENTS", description = "the command's own (COMMAND --help)")
    private List<String> rest = new ArrayList<>();

    private FrontEnd() {}

    /** Runs the command the arguments name; returns its exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        FrontEnd f = new FrontEnd();
        try {
            // options before COMMAND are gnsweep's; from COMMAND on, everything is the command's
            if (CommandLines.answeredHelp(f, args, out, null, true)) {
                return 0;
            }
            if (f.command == null) {
                throw new UsageException("no command given (expected train, sweep or report; see gnsweep --help)");
            }
        } catch (UsageException e) {
            err.println("gnsweep: " + e.getMessage());
            return UsageException.EXIT;
        }
        String[] rest = f.rest.toArray(String[]::new);
        switch (f.command) {
            case "train":
                return TrainCommand.run(rest, out, err);
            case "sweep":
                return SweepJob.run(rest, out, err);
            case "report":
                return ReportJob.run(rest, out, err);
            default:
                err.println("gnsweep: unknown command '" + f.command + "' (expected train, sweep or report)");
                return UsageException.EXIT;
        }
    }
}
