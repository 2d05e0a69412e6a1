package io.gnsweep.data;

import java.util.Objects;

/** A dataset's training and test splits, loaded together. */
public record TrainTest(ImageDataset train, ImageDataset test) {

    /** Both splits are required. */
    public TrainTest {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
    }
}
