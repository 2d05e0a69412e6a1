package io.gnsweep.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** What every part of the suite shares: the run's settings, and the figures it adds to the run's CSV. */
abstract class Part {

    /**
     * The run's settings and the figures its parts add, in order.
     *
     * @param quick the CI run: fewer shapes and rounds, gross-regression limits enforced
     * @param out where the CSVs and the harness's sweeps go
     * @param threads native threads for the layer and training parts
     * @param log progress and context (stderr)
     * @param figures what the parts measured
     */
    record Setting(boolean quick, Path out, int threads, PrintStream log, List<Figure> figures) {}

    final boolean quick;
    final Path out;
    final int threads;
    final PrintStream log;
    private final Setting setting;

    Part(Setting setting) {
        this.setting = setting;
        this.quick = setting.quick();
        this.out = setting.out();
        this.threads = setting.threads();
        this.log = setting.log();
    }

    /** This run's settings, for a part that runs another (the training part's profile, say). */
    Setting setting() {
        return setting;
    }

    void add(String part, String metric, String config, double value, String unit, String target, String check,
             String status, String note) {
        setting.figures().add(new Figure(part, metric, config, value, unit, target, check, status, note));
    }

    /** "ok" / "MISS" against the target; "FAIL" when even the gross-regression limit is broken. */
    static String status(boolean target, boolean gross) {
        return !gross ? "FAIL" : target ? "ok" : "MISS";
    }
}
