package io.gnsweep.spark;

import static io.gnsweep.spark.SweepFixture.sweep;
import static io.gnsweep.spark.SweepFixture.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.data.FashionMnistFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every bad input: exit status 2, one message naming the key and value, nothing written, no Spark started. */
class SweepBadInputTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void data() {
        SweepFixture.requireData();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "axes.groups=[3]               | axes.groups = 3: does not divide the 8 channels",
        "axes.batch-size=[0]           | axes.batch-size = 0: must be >= 1",
        "axes.norm=[group,weird]       | unknown norm 'weird'",
        "dataset.name=svhn             | dataset.name = svhn: unknown dataset",
        "model=transformer             | unknown model 'transformer'",
        "axes.seed=[]                  | axes.seed = []: empty axis",
        "dataset.path=/no/such/folder  | dataset.path = /no/such/folder: no such folder",
        "dataset.name=cifar10          | dataset.path = classpath:gnsweep/data/fashion-mnist-subset: ",
        "--frobnicate                  | unknown option '--frobnicate'",
    })
    void isRefusedBeforeAnyWork(String bad, String expected) {
        Path out = dir.resolve("out");
        List<String> args = new ArrayList<>(tiny(out));
        args.add(bad);
        SweepFixture.Run run = sweep(args);
        assertEquals(2, run.exit());
        assertTrue(run.err().contains(expected), run.err());
        assertEquals(1, run.err().strip().lines().filter(l -> l.startsWith("gnsweep sweep:")).count(), run.err());
        assertFalse(Files.exists(out), "nothing may be written");
    }

    @Test
    void missingDataSaysHowToGetIt() {
        SweepFixture.Run run = sweep(tiny(dir.resolve("o"), "dataset.path=" + dir.resolve("empty")));
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("apt-get install dataset-fashion-mnist"), run.err());
    }

    @Test
    void corruptDataIsNamed() throws Exception {
        Path data = FashionMnistFolder.copyShippedSubset(dir.resolve("fm"));
        Files.write(data.resolve("t10k-labels-idx1-ubyte.gz"), new byte[] {0x1f, (byte) 0x8b, 1, 2, 3});
        SweepFixture.Run run = sweep(tiny(dir.resolve("o"), "dataset.path=" + data));
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("t10k-labels-idx1-ubyte.gz"), run.err());
        assertFalse(Files.exists(dir.resolve("o")));
    }

    @Test
    void anOutputFolderOfADifferentSpecIsRefused() throws Exception {
        Path out = dir.resolve("shared");
        Files.createDirectories(out);
        Files.writeString(out.resolve("spec.json"), "{ \"sweep_id\" : \"0123456789ab\", \"sweep_name\" : \"other\" }");
        SweepFixture.Run run = sweep(tiny(out));
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("output = " + out + ": already holds results of a different spec"), run.err());
        assertFalse(Files.exists(out.resolve("trials")));
    }
}
