package io.gnsweep;

import io.gnsweep.cli.TrainCommand;
import java.util.Arrays;

/**
 * Entry point of {@code gnsweep.jar}: {@code train} (one trial, no Spark), {@code sweep} (the Spark job) and
 * {@code report} (compares sweeps from their Parquet tables). Exit status 0 on success, 1 when work failed,
 * 2 on bad input.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null && !underSpark()) {
            // Without spark-submit nothing configures log4j; use ours (WARN, gnsweep at INFO).
            System.setProperty("log4j2.configurationFile", "gnsweep-log4j2.properties");
        }
        System.exit(run(args));
    }

    private static boolean underSpark() {
        return System.getProperty("spark.app.name") != null || System.getProperty("spark.master") != null;
    }

    /** Dispatches to a command; returns its exit status. */
    public static int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println("usage: gnsweep <command> [arguments]\n\n"
                    + "  train  [key=value ...]              train one trial without Spark (--help lists the keys)\n"
                    + "  sweep  [spec.conf] [key=value ...]  run a sweep on Spark (use jobs/sweep.sh)\n"
                    + "  report RESULTS_DIR [...] [--out D]  compare sweeps (use jobs/report.sh)");
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "train":
                return TrainCommand.run(rest, System.out, System.err);
            case "sweep":
                return io.gnsweep.spark.SweepJob.run(rest, System.out, System.err);
            case "report":
                return io.gnsweep.report.ReportJob.run(rest);
            default:
                System.err.println("gnsweep: unknown command '" + args[0] + "' (expected train, sweep or report)");
                return 2;
        }
    }
}
