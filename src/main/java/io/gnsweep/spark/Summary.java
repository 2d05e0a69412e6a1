package io.gnsweep.spark;

import io.gnsweep.sweep.SweepSpec;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The end-of-sweep table: mean test accuracy by norm (and groups) x batch size, from this sweep's rows of the
 * Parquet trials table (read in the driver by {@link ResultStore#readTrialRows}).
 */
final class Summary {
    private Summary() {}

    /** {@code rows}: the folder's trial rows ({@link ResultStore#readTrialRows}); those of this sweep count. */
    static void print(List<ResultStore.TrialRow> rows, ResultStore store, SweepSpec spec, PrintStream out) {
        List<ResultStore.TrialRow> trials = rows.stream().filter(r -> r.sweepId().equals(spec.sweepId())).toList();
        if (trials.isEmpty()) {
            out.println("no results yet in " + store.output());
            return;
        }
        // mean and count of test accuracy per (norm, groups) x batch size, over COMPLETE trials
        TreeSet<Integer> batchSizes = new TreeSet<>();
        Map<String, Map<Integer, double[]>> cells = new TreeMap<>();
        for (ResultStore.TrialRow r : trials) {
            if (!r.status().equals("COMPLETE") || r.testAccuracy() == null) {
                continue;
            }
            String label = r.norm() + (r.groups() == null ? "" : " G=" + r.groups());
            batchSizes.add(r.batchSize());
            double[] sumCount = cells.computeIfAbsent(label, k -> new TreeMap<>())
                    .computeIfAbsent(r.batchSize(), k -> new double[2]);
            sumCount[0] += r.testAccuracy();
            sumCount[1]++;
        }
        out.println();
        out.println("mean test accuracy % (n seeds), COMPLETE trials, by norm x batch size:");
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-14s", "norm"));
        for (int bs : batchSizes) {
            header.append(String.format(Locale.ROOT, " | %12s", "bs " + bs));
        }
        out.println(header);
        for (Map.Entry<String, Map<Integer, double[]>> e : cells.entrySet()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-14s", e.getKey()));
            for (int bs : batchSizes) {
                double[] c = e.getValue().get(bs);
                line.append(String.format(Locale.ROOT, " | %12s",
                        c == null ? "-" : String.format(Locale.ROOT, "%.2f (%d)", 100 * c[0] / c[1], (long) c[1])));
            }
            out.println(line);
        }
        List<ResultStore.TrialRow> bad = trials.stream().filter(r -> !r.status().equals("COMPLETE"))
                .sorted(java.util.Comparator.comparing(ResultStore.TrialRow::trialId)).toList();
        out.printf(Locale.ROOT, "%d trials in the table, %d not complete%n", trials.size(), bad.size());
        for (ResultStore.TrialRow r : bad) {
            out.println("  " + r.trialId() + ": " + r.status() + " - " + r.error());
        }
        out.println("tables: " + store.trialsTable() + "  " + store.epochsTable() + "  (spec: "
                + store.output() + "/" + ResultStore.SPEC + ")");
    }
}
