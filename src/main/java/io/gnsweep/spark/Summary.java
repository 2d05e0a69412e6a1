package io.gnsweep.spark;

import io.gnsweep.sweep.SweepSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/** The end-of-sweep table: mean test accuracy by norm (and groups) x batch size, from the Parquet tables. */
final class Summary {
    private Summary() {}

    static void print(SparkSession spark, ResultStore store, SweepSpec spec, PrintStream out) throws IOException {
        if (store.finished().isEmpty()) {
            out.println("no results yet in " + store.output());
            return;
        }
        Dataset<Row> trials = spark.read().parquet(store.trialsTable()).where(functions.col("sweep_id").equalTo(spec.sweepId()));
        List<Row> cells = trials.where("status = 'COMPLETE'")
                .groupBy("norm", "groups", "batch_size")
                .agg(functions.avg("test_accuracy"), functions.count("*"))
                .collectAsList();
        TreeSet<Integer> batchSizes = new TreeSet<>();
        Map<String, Map<Integer, String>> table = new TreeMap<>();
        for (Row r : cells) {
            String label = r.getString(0) + (r.isNullAt(1) ? "" : " G=" + r.getInt(1));
            int bs = r.getInt(2);
            batchSizes.add(bs);
            table.computeIfAbsent(label, k -> new TreeMap<>()).put(bs,
                    String.format(Locale.ROOT, "%.2f (%d)", 100 * r.getDouble(3), r.getLong(4)));
        }
        out.println();
        out.println("mean test accuracy % (n seeds), COMPLETE trials, by norm x batch size:");
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-14s", "norm"));
        for (int bs : batchSizes) {
            header.append(String.format(Locale.ROOT, " | %12s", "bs " + bs));
        }
        out.println(header);
        for (Map.Entry<String, Map<Integer, String>> e : table.entrySet()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-14s", e.getKey()));
            for (int bs : batchSizes) {
                line.append(String.format(Locale.ROOT, " | %12s", e.getValue().getOrDefault(bs, "-")));
            }
            out.println(line);
        }
        List<Row> bad = trials.where("status <> 'COMPLETE'").select("trial_id", "status", "error").collectAsList();
        out.printf(Locale.ROOT, "%d trials in the table, %d not complete%n", trials.count(), bad.size());
        for (Row r : bad) {
            out.println("  " + r.getString(0) + ": " + r.getString(1) + " - " + r.getString(2));
        }
        out.println("tables: " + store.trialsTable() + "  " + store.epochsTable() + "  (spec: "
                + store.output() + "/" + ResultStore.SPEC + ")");
    }
}
