package io.gnsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.data.ClasspathDataFolder;
import io.gnsweep.data.TrainTest;
import io.gnsweep.sweep.SweepSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quick spec's default data is the subset inside the jar: it validates and loads without Spark. */
class ShippedDataSpecTest {
    @TempDir
    Path dir;

    @Test
    void bothCopiesOfTheQuickSpecNameTheShippedSubset() {
        assertEquals(ClasspathDataFolder.SHIPPED_FASHION_MNIST, SweepSpec.load(null, List.of()).data().path());
        assertEquals(ClasspathDataFolder.SHIPPED_FASHION_MNIST,
                SweepSpec.load(Path.of("conf/sweeps/quick.conf"), List.of()).data().path());
    }

    @Test
    void aSpecUsingItValidates() {
        SweepSpec spec = SweepSpec.load(null, List.of("output=" + dir.resolve("out")));
        assertEquals(ClasspathDataFolder.SHIPPED_FASHION_MNIST, SweepJob.checkData(spec));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = SweepJob.run(new String[] {"output=" + dir.resolve("out"), "--dry-run"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("group-g8-bs64-s1"), out.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(dir.resolve("out")), "a dry run writes nothing");
    }

    @Test
    void executorsLoadItFromTheClasspath() throws Exception {
        TrainTest tt = new DataSource("fashion-mnist", ClasspathDataFolder.SHIPPED_FASHION_MNIST).load(256, 128);
        assertEquals(256, tt.train().size());
        assertEquals(128, tt.test().size());
    }
}
