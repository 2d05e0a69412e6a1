package io.gnsweep.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark standalone cluster on loopback, started and stopped with the real {@code jobs/cluster.sh} (its
 * state folder under a test's temporary folder, on free ports), plus what fault tests need: the pids of its
 * workers and of the executor JVMs they launched.
 */
final class LocalCluster implements AutoCloseable {
    static final Path SCRIPT = Path.of("jobs/cluster.sh").toAbsolutePath();
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final String EXECUTOR_MAIN = "org.apache.spark.executor.CoarseGrainedExecutorBackend";

    final Path state;
    final int workers;
    final int masterPort;
    final int uiPort;
    private final Thread shutdownHook;
    private Properties conf;

    private final Map<String, String> extraEnv;

    private LocalCluster(Path state, int workers, Map<String, String> extraEnv) {
        this.extraEnv = extraEnv;
        this.state = state;
        this.workers = workers;
        this.masterPort = freePort();
        this.uiPort = freePort();
        this.shutdownHook = new Thread(() -> script(STOP_TIMEOUT, "stop"), "stop-local-cluster");
    }

    /** Starts master + {@code workers} workers x {@code cores} cores; stops what it started if that fails. */
    static LocalCluster start(Path state, int workers, int cores) {
        return start(state, workers, cores, Map.of());
    }

    /** As {@link #start(Path, int, int)}, with extra environment for jobs/cluster.sh (e.g. GNSWEEP_WORKER_GPUS). */
    static LocalCluster start(Path state, int workers, int cores, Map<String, String> env) {
        LocalCluster c = new LocalCluster(state, workers, env);
        Runtime.getRuntime().addShutdownHook(c.shutdownHook);
        boolean ok = false;
        try {
            String out = c.script(START_TIMEOUT, "start", String.valueOf(workers), String.valueOf(cores));
            if (!out.contains(c.masterUrl())) {
                throw new IllegalStateException("jobs/cluster.sh start did not print " + c.masterUrl() + ":\n" + out);
            }
            c.conf = new Properties();
            try (var r = Files.newBufferedReader(state.resolve("spark-defaults.conf"))) {
                c.conf.load(r);
            }
            ok = true;
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (!ok) {
                c.close();
            }
        }
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /** What {@code jobs/cluster.sh start} wrote for drivers: spark.master, spark.authenticate(.secret), ... */
    Properties defaults() {
        return conf;
    }

    /** Runs jobs/cluster.sh with this cluster's environment; returns its output; fails on a non-zero exit. */
    String script(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .directory(SCRIPT.getParent().getParent().toFile());
        Map<String, String> env = pb.environment();
        env.put("GNSWEEP_CLUSTER_DIR", state.toString());
        env.put("GNSWEEP_MASTER_PORT", String.valueOf(masterPort));
        env.put("GNSWEEP_MASTER_UI_PORT", String.valueOf(uiPort));
        env.put("GNSWEEP_WORKER_UI_PORT", "0");
        env.put("GNSWEEP_START_TIMEOUT", String.valueOf(START_TIMEOUT.toSeconds() - 20));
        env.putAll(extraEnv);
        try {
            Files.createDirectories(state);
            Path log = Files.createTempFile(state, "cluster-" + args[0] + "-", ".log");
            pb.redirectOutput(log.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("jobs/cluster.sh " + String.join(" ", args) + ": no end within "
                        + timeout + ":\n" + Files.readString(log));
            }
            String out = Files.readString(log);
            System.out.println("jobs/cluster.sh " + String.join(" ", args) + ":\n" + out);
            if (p.exitValue() != 0 && !args[0].equals("status")) {
                throw new IllegalStateException("jobs/cluster.sh " + String.join(" ", args) + ": exit "
                        + p.exitValue() + ":\n" + out + logs());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The tail of the daemons' logs, for failure messages. */
    String logs() {
        StringBuilder b = new StringBuilder();
        try (var s = Files.list(state.resolve("logs"))) {
            for (Path p : s.sorted().toList()) {
                List<String> lines = Files.readAllLines(p);
                b.append("\n--- ").append(p.getFileName()).append(" (last lines)\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
            }
        } catch (IOException | UncheckedIOException e) {
            b.append("\n(no logs: ").append(e).append(')');
        }
        return b.toString();
    }

    /** Stops the cluster (jobs/cluster.sh stop) and removes the link to the jars. */
    @Override
    public void close() {
        try {
            script(STOP_TIMEOUT, "stop");
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run
            }
            try {
                // the link itself, not the jars it points at
                Files.deleteIfExists(state.resolve("spark-home").resolve("jars"));
            } catch (IOException ignored) {
                // best effort: @TempDir removes the rest
            }
        }
    }

    /** Pid of worker i (1-based), as cluster.sh recorded it. */
    long workerPid(int i) {
        try {
            return Long.parseLong(Files.readString(state.resolve("pids").resolve("worker-" + i + ".pid")).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An executor JVM launched by one of this cluster's workers. */
    record Executor(long pid, int worker, String executorId, Path workDir) {
        /** Its log (the worker sends an executor's stderr to stderr in its working folder). */
        String stderr() {
            try {
                Path f = workDir.resolve("stderr");
                return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                return "";
            }
        }
    }

    /** The executor JVMs now alive among the descendants of this cluster's workers. */
    List<Executor> executors() {
        List<Executor> found = new ArrayList<>();
        for (int i = 1; i <= workers; i++) {
            int worker = i;
            Optional<ProcessHandle> w = ProcessHandle.of(workerPid(i));
            w.ifPresent(h -> h.descendants().forEach(d -> {
                List<String> cmd = commandLine(d.pid());
                int at = cmd.indexOf("--executor-id");
                if (cmd.contains(EXECUTOR_MAIN) && at >= 0 && at + 1 < cmd.size()) {
                    try {
                        Path cwd = Path.of("/proc/" + d.pid() + "/cwd").toRealPath();
                        found.add(new Executor(d.pid(), worker, cmd.get(at + 1), cwd));
                    } catch (IOException gone) {
                        // ended meanwhile
                    }
                }
            }));
        }
        return found;
    }

    private static List<String> commandLine(long pid) {
        try {
            String raw = Files.readString(Path.of("/proc/" + pid + "/cmdline"), StandardCharsets.UTF_8);
            return Arrays.asList(raw.split("\0"));
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    /** SIGKILL for a pid (ProcessHandle.destroyForcibly), then waits until it is gone. */
    static void kill9(long pid) throws InterruptedException {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isPresent()) {
            h.get().destroyForcibly();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (h.get().isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
    }

    private static final Pattern JSON_NUMBER = Pattern.compile("\"(\\w+)\"\\s*:\\s*(\\d+)");

    /** The master's JSON numbers of interest: aliveworkers, cores, coresused (top level: the first match). */
    Map<String, Long> masterStatus() {
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort + "/json/"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            Map<String, Long> m = new LinkedHashMap<>();
            // worker entries also hold "cores": the top-level fields come after the workers array
            String body = r.body();
            int top = body.lastIndexOf("\"aliveworkers\"");
            Matcher x = JSON_NUMBER.matcher(top < 0 ? body : body.substring(top));
            while (x.find()) {
                m.putIfAbsent(x.group(1), Long.parseLong(x.group(2)));
            }
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
