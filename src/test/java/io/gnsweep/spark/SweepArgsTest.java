package io.gnsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.config.UsageException;
import io.gnsweep.sweep.SweepSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The sweep command line, without Spark: both spellings of each option, and what is refused. */
class SweepArgsTest {

    private static SweepArgs parse(String... args) {
        return SweepArgs.parse(args, new PrintStream(new ByteArrayOutputStream()));
    }

    @Test
    void masterInBothSpellings() {
        assertEquals("spark://h:7077", parse("--master", "spark://h:7077").master());
        assertEquals("spark://h:7077", parse("--master=spark://h:7077").master());
        assertEquals("local[2]", parse("axes.seed=[1]", "--master=local[2]", "--dry-run").master());
        assertNull(parse().master());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/r/x", "s3a://bucket/results/x", "results dir", "/r/run#2", "/r/{a,b}"})
    void outInBothSpellingsIsTheSpecsOutput(String dir) {
        for (SweepArgs a : List.of(parse("--out", dir), parse("--out=" + dir))) {
            assertEquals(dir, SweepSpec.load(a.spec(), a.overrides()).output(), a.overrides().toString());
        }
    }

    @Test
    void theSpecComesFirstThenOverridesThenFlags() {
        SweepArgs a = parse("conf/sweeps/quick.conf", "train.epochs=2", "--rerun-failed", "--dry-run");
        assertEquals(Path.of("conf/sweeps/quick.conf"), a.spec());
        assertEquals(List.of("train.epochs=2"), a.overrides());
        assertTrue(a.rerunFailed() && a.dryRun());
        SweepArgs none = parse("train.epochs=2");
        assertNull(none.spec());
        assertFalse(none.rerunFailed() || none.dryRun());
    }

    @Test
    void refused() {
        for (String[] bad : new String[][] {{"train.epochs=2", "conf/x.conf"}, {"a.conf", "b.conf"},
            {"--out", "/a", "output=/b"}, {"--master"}, {"--master="}, {"--out", "a", "--out", "b"}, {"--frob"}}) {
            assertThrows(UsageException.class, () -> parse(bad), String.join(" ", bad));
        }
    }

    @Test
    void outReachesTheJobsOutputCheck() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = SweepJob.run(new String[] {"--out=/proc/nope", "--master=local[1]", "--dry-run"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, exit);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("gnsweep sweep: output = /proc/nope: cannot be written"),
                err.toString(StandardCharsets.UTF_8));
    }
}
