package io.gnsweep.bench;

import io.gnsweep.tables.Csv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** One figure of the suite, a row of its CSV: {@code check} is the limit a --quick run enforces (null: informational). */
record Figure(String part, String metric, String config, double value, String unit, String target, String check,
              String status, String note) {

    /** The CSV's header; {@code quick_limit} holds {@link #check}. */
    static final String CSV_HEADER = "part,metric,config,value,unit,target,quick_limit,status,note";

    /** Writes the figures as CSV, header first. */
    static void write(List<Figure> figures, Path file) throws IOException {
        StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
        for (Figure f : figures) {
            csv.append(Csv.line(List.of(f.part(), f.metric(), f.config(), String.format(Locale.ROOT, "%.4f", f.value()),
                    f.unit(), f.target(), f.check() == null ? "" : f.check(), f.status(), f.note())));
        }
        Files.writeString(file, csv.toString());
    }
}
