package io.gnsweep;

import io.gnsweep.cli.FrontEnd;

/**
 * Entry point of {@code gnsweep.jar}: {@code train} (one trial, no Spark), {@code sweep} (the Spark job) and
 * {@code report} (compares sweeps from their Parquet tables), dispatched by {@link FrontEnd}. Exit status 0 on
 * success, 1 when work failed, 2 on bad input.
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
        return FrontEnd.run(args, System.out, System.err);
    }
}
