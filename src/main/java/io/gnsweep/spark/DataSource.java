package io.gnsweep.spark;

import io.gnsweep.data.ClasspathDataFolder;
import io.gnsweep.data.DataFolder;
import io.gnsweep.data.DatasetLoader;
import io.gnsweep.data.LocalDataFolder;
import io.gnsweep.data.TrainTest;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkFiles;

/**
 * How executors reach the dataset: files the driver shipped with {@code SparkContext.addFile} (a local
 * folder on the driver; no shared file system needed), or a shared URI every executor reads itself
 * (hdfs://, s3a://, file://...), or a {@code classpath:} folder inside the application jar (the shipped
 * Fashion-MNIST subset), which every executor already has. Each executor JVM loads a dataset once and shares
 * it between its trials.
 */
record DataSource(String dataset, String uri) implements Serializable {
    private static final Map<String, TrainTest> CACHE = new LinkedHashMap<>();
    private static final int CACHE_ENTRIES = 2;

    /** Data shipped to the executors with addFile. */
    static DataSource shipped(String dataset) {
        return new DataSource(dataset, null);
    }

    /** Whether a dataset.path value is a URI (read by executors) rather than a local folder (shipped). */
    static boolean isUri(String path) {
        return path.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*") && !path.matches("^[A-Za-z]:\\\\.*");
    }

    /** The folder behind a dataset.path URI: a {@code classpath:} folder, else whatever Hadoop reads. */
    static DataFolder uriFolder(String uri) {
        return ClasspathDataFolder.isClasspath(uri) ? new ClasspathDataFolder(uri) : new HadoopDataFolder(uri);
    }

    /** The folder as seen from the executor running this code. */
    DataFolder folder() {
        return uri == null ? new LocalDataFolder(Path.of(SparkFiles.getRootDirectory())) : uriFolder(uri);
    }

    /** Loads (or reuses) the data in this JVM. */
    TrainTest load(Integer trainLimit, Integer testLimit) throws IOException {
        DataFolder folder = folder();
        String key = folder.describe() + "|" + dataset + "|" + trainLimit + "|" + testLimit;
        synchronized (CACHE) {
            TrainTest cached = CACHE.get(key);
            if (cached != null) {
                return cached;
            }
            TrainTest loaded = DatasetLoader.load(dataset, folder, trainLimit, testLimit);
            if (CACHE.size() >= CACHE_ENTRIES) {
                CACHE.remove(CACHE.keySet().iterator().next());
            }
            CACHE.put(key, loaded);
            return loaded;
        }
    }
}
