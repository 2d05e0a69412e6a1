package io.gnsweep.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gnsweep.data.ClasspathDataFolder;
import io.gnsweep.data.DatasetLoader;
import io.gnsweep.data.ImageDataset;
import io.gnsweep.model.Model;
import io.gnsweep.model.Net;
import io.gnsweep.model.NetworkFactory;
import io.gnsweep.model.NormKind;
import io.gnsweep.runtime.NativeSetup;
import org.junit.jupiter.api.Test;

/**
 * A whole epoch of a real trial (small-cnn with GroupNorm, train's defaults, the 8,000 shipped Fashion-MNIST images at
 * batch 32, the Trainer's batches, one native thread) trains the network with the ReLU fused into its norms exactly as the one with
 * ReLU layers: the parameters are the same to the bit after every one of the 250 steps. Rare values are what such a
 * check needs: a ReLU mask or a sum taken another way shows after a hundred steps, not in five (the fused backward
 * pass once summed in another order than the unfused one and parted at step 142).
 */
class FusedReluTrialTest {
    @Test
    void anEpochOfSmallCnnTrainsTheSameFusedAndUnfused() throws Exception {
        NativeSetup.init();
        int threadsBefore = org.nd4j.linalg.factory.Nd4j.getEnvironment().maxThreads();
        NativeSetup.bindThreads(1); // as the trial runs, threads=1 (the order of the sums differed there)
        try {
            trainBoth();
        } finally {
            NativeSetup.bindThreads(threadsBefore);
        }
    }

    private static void trainBoth() throws Exception {
        ImageDataset train = DatasetLoader.load("fashion-mnist",
                new ClasspathDataFolder(ClasspathDataFolder.SHIPPED_FASHION_MNIST), 8000, 250).train();
        NetworkFactory.NetworkSpec s = new NetworkFactory.NetworkSpec(Model.SMALL_CNN, NormKind.GROUP, 8, 1.0, 1, 28,
                28, 10, 2.5e-4, 1);
        Net fused = NetworkFactory.create(s);
        System.setProperty(NetworkFactory.FUSED_RELU_PROPERTY, "false");
        Net unfused;
        try {
            unfused = NetworkFactory.create(s);
        } finally {
            System.clearProperty(NetworkFactory.FUSED_RELU_PROPERTY);
        }
        try {
            Trainer.Batches batches = new Trainer.Batches(train, 32, Trainer.permutation(train.size(), 1, 1));
            int step = 0;
            while (batches.hasNext()) {
                batches.next();
                unfused.fit(batches.features(), batches.labels());
                fused.fit(batches.features(), batches.labels());
                step++;
                assertEquals(unfused.score(), fused.score(), 0.0, "score of step " + step);
                assertArrayEquals(bits(unfused), bits(fused), "parameters after step " + step);
            }
            assertEquals(250, step);
        } finally { // their oneDNN plans now, as Trainer does, not at a GC during a later test that counts plans
            fused.release();
            unfused.release();
        }
    }

    /** The parameters' raw float bits (a plain network's flattened array: both have the same parameter layout). */
    private static int[] bits(Net n) {
        float[] f = n.dl4j().params().data().asFloat();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Float.floatToRawIntBits(f[i]);
        }
        return out;
    }
}
