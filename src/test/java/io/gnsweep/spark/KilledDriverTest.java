package io.gnsweep.spark;

import static io.gnsweep.spark.SweepFixture.sweep;
import static io.gnsweep.spark.SweepFixture.tiny;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driver killed with SIGKILL mid-sweep (a separate JVM running the real command) loses only the trials
 * that were running; rerunning the same command runs only the missing ones and leaves one row per trial.
 */
class KilledDriverTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void data() {
        SweepFixture.requireData();
    }

    private static Map<String, Long> finished(Path trials) throws Exception {
        if (!Files.isDirectory(trials)) {
            return Map.of();
        }
        try (var s = Files.list(trials)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .collect(Collectors.toMap(p -> p.getFileName().toString(), p -> p.toFile().lastModified()));
        }
    }

    @Test
    void resumeRunsOnlyTheMissingTrials() throws Exception {
        Path out = dir.resolve("k");
        List<String> args = tiny(out, "--master", "local[1]", "axes.seed=[1,2]");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dlog4j2.configurationFile=conf/log4j2-test.properties",
                "io.gnsweep.Main", "sweep"));
        command.addAll(args);
        Process driver = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("driver.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (finished(out.resolve("trials")).size() < 2 && driver.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(driver.isAlive(), "the driver ended before it could be killed:\n"
                + Files.readString(dir.resolve("driver.log")));
        driver.destroyForcibly().waitFor();
        Map<String, Long> survived = finished(out.resolve("trials"));
        assertTrue(survived.size() >= 2 && survived.size() < 8, "finished before the kill: " + survived.keySet());

        SweepFixture.Run resumed = sweep(args);
        assertEquals(0, resumed.exit(), resumed.err());
        int missing = 8 - survived.size();
        assertTrue(resumed.out().contains(missing + " of 8 trials to run (" + survived.size() + " already finished)"),
                resumed.out());
        Map<String, Long> after = finished(out.resolve("trials"));
        assertEquals(8, after.size());
        survived.forEach((name, mtime) -> assertEquals(mtime, after.get(name), name + " was run again"));
    }
}
