package io.gnsweep.runtime;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Where a result came from: versions of gnsweep, DL4J/ND4J (and which backend), Spark and Java, the OS and
 * architecture, and the git commit of the checkout that launched the run when it is known. Every result
 * row carries it, so a number can be traced back to the code and machine that produced it.
 */
public record Provenance(String gnsweepVersion, String gitCommit, String dl4jVersion, String nd4jBackend,
                         String sparkVersion, String javaVersion, String os, String arch) implements Serializable {

    /** The provenance of this JVM; {@code sparkVersion} and {@code gitCommit} come from the driver. */
    public static Provenance here(String sparkVersion, String gitCommit) {
        var build = NativeSetup.build();
        String backend = NativeSetup.backend() + (NativeSetup.oneDnnEnabled() ? " (oneDNN)" : "");
        return new Provenance(build.getProperty("gnsweep.version"), gitCommit, build.getProperty("dl4j.version"),
                backend, sparkVersion, System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.version"), System.getProperty("os.arch"));
    }

    /**
     * The commit this build was made from, as Maven recorded it in {@code gnsweep-build.properties}
     * ({@code "-dirty"} when tracked files had changes), or "unknown" (built outside git, or not by Maven).
     */
    public static String buildCommit() {
        String c = NativeSetup.build().getProperty("git.commit", "");
        return c.isBlank() || c.startsWith("${") ? "unknown" : c;
    }

    /** What {@code --version} prints: gnsweep's version and commit, then the versions it was built against. */
    public static String versionText() {
        var build = NativeSetup.build();
        return "gnsweep " + build.getProperty("gnsweep.version", "unknown") + ", git commit " + buildCommit()
                + "\nbuilt with DL4J/ND4J " + build.getProperty("dl4j.version", "unknown") + " and Spark "
                + build.getProperty("spark.version", "unknown") + "; running on Java "
                + System.getProperty("java.version");
    }

    /** {@code git rev-parse HEAD} in the working directory (with "-dirty" if it has changes), or null. */
    public static String detectGitCommit() {
        String head = run("git", "rev-parse", "HEAD");
        if (head == null || head.isBlank()) {
            return null;
        }
        String status = run("git", "status", "--porcelain", "--untracked-files=no");
        return head.trim() + (status != null && !status.isBlank() ? "-dirty" : "");
    }

    private static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (Exception e) {
            return null;
        }
    }
}
