package io.gnsweep.data;

import java.io.IOException;
import java.util.List;

/** Entry point: loads or checks a dataset by name from a {@link DataFolder}. */
public final class DatasetLoader {

    /** The dataset names this loader understands. */
    public static final List<String> NAMES = List.of("fashion-mnist", "mnist", "cifar10");

    private DatasetLoader() {
    }

    /**
     * Loads both splits of {@code datasetName}. A limit keeps the first n images of its split
     * and avoids reading the rest; null keeps all.
     *
     * @throws DataFormatException a file is missing or malformed (the message names it)
     * @throws IllegalArgumentException an unknown dataset name or a limit below 1
     */
    public static TrainTest load(String datasetName, DataFolder folder, Integer trainLimit, Integer testLimit)
            throws IOException {
        requireLimit("trainLimit", trainLimit);
        requireLimit("testLimit", testLimit);
        switch (requireKnown(datasetName)) {
            case "cifar10":
                return new TrainTest(
                        CifarReader.load(datasetName + "/train", folder, CifarReader.TRAIN_FILES, trainLimit),
                        CifarReader.load(datasetName + "/test", folder, CifarReader.TEST_FILES, testLimit));
            case "mnist":
            case "fashion-mnist":
                return new TrainTest(
                        IdxReader.load(datasetName + "/train", folder, "train", trainLimit),
                        IdxReader.load(datasetName + "/test", folder, "t10k", testLimit));
            default:
                throw unhandled(datasetName);
        }
    }

    /**
     * A cheap pre-flight check, meant to fail fast on the driver before a job is launched: all
     * files present, headers, counts, lengths and labels valid. Pixels are not decoded.
     *
     * @throws DataFormatException a file is missing or malformed (the message names it)
     * @throws IllegalArgumentException an unknown dataset name
     */
    public static void check(String datasetName, DataFolder folder) throws IOException {
        switch (requireKnown(datasetName)) {
            case "cifar10":
                CifarReader.check(folder, CifarReader.TRAIN_FILES);
                CifarReader.check(folder, CifarReader.TEST_FILES);
                break;
            case "mnist":
            case "fashion-mnist":
                IdxReader.check(folder, "train");
                IdxReader.check(folder, "t10k");
                break;
            default:
                throw unhandled(datasetName);
        }
    }

    /**
     * The files {@link #load} reads, as names relative to the folder (e.g. {@code train-images-idx3-ubyte.gz}
     * or {@code cifar-10-batches-bin/test_batch.bin}), so that they can be shipped to another machine.
     *
     * @throws DataFormatException a file is missing (the message names what was looked for)
     */
    public static List<String> files(String datasetName, DataFolder folder) throws IOException {
        List<String> names = new java.util.ArrayList<>();
        switch (requireKnown(datasetName)) {
            case "cifar10":
                for (String f : CifarReader.TRAIN_FILES) {
                    names.add(DataFiles.find(folder, f, CifarReader.SUBFOLDER + f));
                }
                for (String f : CifarReader.TEST_FILES) {
                    names.add(DataFiles.find(folder, f, CifarReader.SUBFOLDER + f));
                }
                return names;
            case "mnist":
            case "fashion-mnist":
                for (String split : List.of("train", "t10k")) {
                    for (String kind : List.of("-images-idx3-ubyte", "-labels-idx1-ubyte")) {
                        names.add(DataFiles.find(folder, split + kind, split + kind + ".gz"));
                    }
                }
                return names;
            default:
                throw unhandled(datasetName);
        }
    }

    private static String requireKnown(String datasetName) {
        if (!NAMES.contains(datasetName)) {
            throw new IllegalArgumentException("unknown dataset '" + datasetName + "'; known: " + String.join(", ", NAMES));
        }
        return datasetName;
    }

    /** A name added to {@link #NAMES} without a reader: a bug here, not a user error. */
    private static AssertionError unhandled(String datasetName) {
        return new AssertionError("no reader for listed dataset " + datasetName);
    }

    private static void requireLimit(String what, Integer limit) {
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException(what + " must be >= 1 or null (all), got " + limit);
        }
    }
}
