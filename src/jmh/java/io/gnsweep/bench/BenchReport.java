package io.gnsweep.bench;

import io.gnsweep.tables.Csv;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code Bench report [--quick] OUT.csv PART.csv ...}: merges the parts' CSVs into one, prints the table and says
 * whether a --quick run passed its gross-regression checks.
 */
final class BenchReport {
    private BenchReport() {}

    /**
     * {@code report [--quick] OUT.csv PART.csv ...}: merges the parts' CSVs into OUT.csv, prints the table and
     * returns 1 when a --quick run has a gross regression (status FAIL), else 0.
     */
    static int report(String[] args) throws IOException {
        boolean quick = args[1].equals("--quick");
        int first = quick ? 2 : 1;
        Path outFile = Path.of(args[first]);
        List<List<String>> rows = new ArrayList<>();
        for (int i = first + 1; i < args.length; i++) {
            List<String> lines = Files.readAllLines(Path.of(args[i]));
            for (String line : lines.subList(1, lines.size())) {
                if (!line.isBlank()) {
                    rows.add(parseCsv(line));
                }
            }
        }
        StringBuilder csv = new StringBuilder(Figure.CSV_HEADER).append('\n');
        PrintStream o = System.out;
        String f = "%-8s %-30s %-42s %9s %-18s %-7s %-6s %s%n";
        o.printf(f, "part", "metric", "config", "value", "unit", "target", "status", "note");
        int failures = 0;
        for (List<String> r : rows) {
            csv.append(Csv.line(r));
            double v = r.get(3).isEmpty() ? Double.NaN : Double.parseDouble(r.get(3));
            o.printf(Locale.ROOT, f, r.get(0), r.get(1), r.get(2), fmt(v), r.get(4), r.get(5), r.get(7), r.get(8));
            failures += "FAIL".equals(r.get(7)) ? 1 : 0;
        }
        Files.writeString(outFile, csv.toString());
        o.printf("%nwritten: %s%s%n", outFile, !quick ? "" : failures == 0 ? "; quick checks passed"
                : "; " + failures + " gross regression(s) (status FAIL)");
        return quick && failures > 0 ? 1 : 0;
    }

    /** A part's CSV record, padded to the header's nine fields (a crashed part's row has fewer). */
    private static List<String> parseCsv(String line) {
        List<String> fields = new ArrayList<>(Csv.fields(line));
        while (fields.size() < 9) {
            fields.add("");
        }
        return fields;
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.2f", v);
    }
}
