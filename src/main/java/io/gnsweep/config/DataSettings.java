package io.gnsweep.config;

import com.typesafe.config.Config;
import io.gnsweep.data.DatasetLoader;
import java.io.Serializable;
import java.util.Locale;

/**
 * The {@code dataset { name, path, train-limit, test-limit }} block shared by {@code train} and sweep specs.
 */
public record DataSettings(String name, String path, Integer trainLimit, Integer testLimit) implements Serializable {

    /** Reads and checks the block (known name, limits >= 1); throws UsageException naming the key. */
    public static DataSettings read(Config c) {
        String name = Overrides.getString(c, "dataset.name").toLowerCase(Locale.ROOT);
        if (!DatasetLoader.NAMES.contains(name)) {
            throw new UsageException("dataset.name = " + name + ": unknown dataset (expected one of "
                    + String.join(" | ", DatasetLoader.NAMES) + ")");
        }
        String path = Overrides.getString(c, "dataset.path");
        Integer train = Overrides.optionalInt(c, "dataset.train-limit");
        Integer test = Overrides.optionalInt(c, "dataset.test-limit");
        if (train != null && train < 1) {
            throw new UsageException("dataset.train-limit = " + train + ": must be >= 1 (or null for all)");
        }
        if (test != null && test < 1) {
            throw new UsageException("dataset.test-limit = " + test + ": must be >= 1 (or null for all)");
        }
        return new DataSettings(name, path, train, test);
    }
}
