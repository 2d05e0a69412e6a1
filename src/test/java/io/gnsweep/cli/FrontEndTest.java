package io.gnsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.runtime.NativeSetup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code gnsweep} and each of its commands: {@code --help} and {@code --version} exit 0 with their text, an
 * unknown option exits 2 with one message; none of these starts any work (no Spark, no training).
 */
class FrontEndTest {

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = FrontEnd.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static String resource(String name) throws IOException {
        try (var in = FrontEndTest.class.getClassLoader().getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** {@code git rev-parse HEAD} of this checkout, or null where git or the checkout is missing. */
    static String head() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? text : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    @Test
    void topLevelHelpListsTheCommands() {
        Run r = run("--help");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("Usage: gnsweep [-hV] [COMMAND]"), r.out());
        for (String command : List.of("train ", "sweep ", "report ")) {
            assertTrue(r.out().contains("\n  " + command), command + "in:\n" + r.out());
        }
        assertEquals("", r.err());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--version", "-V", "train --version", "sweep --version", "report -V"})
    void versionNamesTheBuildAndItsCommit(String args) {
        Run r = run(args.split(" "));
        assertEquals(0, r.exit(), r.err());
        String version = NativeSetup.build().getProperty("gnsweep.version");
        assertTrue(version != null && !version.startsWith("${"), "gnsweep-build.properties is filtered");
        assertTrue(r.out().startsWith("gnsweep " + version + ", git commit "), r.out());
        String commit = r.out().lines().findFirst().orElseThrow().replaceFirst(".*, git commit ", "");
        String head = head();
        if (head != null) {
            assertTrue(commit.equals(head) || commit.equals(head + "-dirty"),
                    "the build's commit " + commit + ", HEAD " + head);
        } else {
            assertTrue(commit.matches("[0-9a-f]{40}(-dirty)?|unknown"), commit);
        }
        assertEquals("", r.err());
    }

    @Test
    void trainHelpPrintsItsKeysWithTheirDefaults() throws IOException {
        Run r = run("train", "--help");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("Usage: gnsweep train [-hV] [key=value...]"), r.out());
        assertTrue(r.out().contains(resource("gnsweep/train-defaults.conf")), "the defaults file, whole:\n" + r.out());
    }

    @Test
    void sweepHelpPrintsTheReferenceSpec() throws IOException {
        Run r = run("sweep", "-h");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("Usage: gnsweep sweep [-hV] [--dry-run] [--rerun-failed]"), r.out());
        for (String option : List.of("--master=URL", "--out=DIR", "--rerun-failed", "--dry-run")) {
            assertTrue(r.out().contains(option), option);
        }
        assertTrue(r.out().contains(resource("gnsweep/sweep-reference.conf")), "the reference, whole:\n" + r.out());
    }

    @Test
    void reportHelpNamesItsArgumentsAndOptions() {
        Run r = run("report", "--help");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("Usage: gnsweep report [-hV] [--master=URL] [--out=DIR] [RESULTS_DIR...]"),
                r.out());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gnsweep", "gnsweep train", "gnsweep sweep", "gnsweep report"})
    void anUnknownOptionIsOneMessageAndExit2(String command) {
        List<String> args = new ArrayList<>(List.of(command.split(" ")).subList(1, command.split(" ").length));
        args.addAll(List.of("--colour", "red"));
        Run r = run(args.toArray(String[]::new));
        assertEquals(2, r.exit(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("unknown option '--colour' (see " + command + " --help)"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void anUnknownOrMissingCommandIsExit2() {
        Run unknown = run("frobnicate", "--help");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("unknown command 'frobnicate'"), unknown.err());
        Run none = run();
        assertEquals(2, none.exit());
        assertTrue(none.err().contains("no command given"), none.err());
    }
}
