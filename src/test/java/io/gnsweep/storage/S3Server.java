package io.gnsweep.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3-compatible server on loopback: S3Proxy with its in-memory ("transient") store, started as its own JVM
 * from the self-contained jar that the build copies to {@code target/s3proxy/s3proxy.jar}, so its libraries
 * never meet Spark's. It speaks the S3 REST API with AWS signatures, as S3A expects.
 */
public final class S3Server implements AutoCloseable {
    static final Path JAR = Path.of("target/s3proxy/s3proxy.jar");
    public static final String ACCESS_KEY = "gnsweep-test";
    public static final String SECRET_KEY = "gnsweep-test-secret";

    private final Process process;
    private final int port;
    private final Path log;

    private S3Server(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts it (its configuration and log under {@code dir}) and waits until it accepts connections. */
    public static S3Server start(Path dir) throws IOException, InterruptedException {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR + " is missing: the build copies it in process-test-classes");
        }
        Files.createDirectories(dir);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path conf = dir.resolve("s3proxy.conf");
        Files.writeString(conf, String.join("\n",
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=transient",
                "jclouds.identity=unused",
                "jclouds.credential=unused", ""));
        Path log = dir.resolve("s3proxy.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-jar", JAR.toAbsolutePath().toString(), "--properties", conf.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        S3Server server = new S3Server(p, port, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("S3Proxy ended at start:\n" + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return server;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        server.close();
        throw new IllegalStateException("S3Proxy did not listen within 90 s:\n" + Files.readString(log));
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /**
     * The standard S3A settings a user gives for such a store, as Spark conf keys ({@code spark.hadoop.*}): the
     * endpoint, path-style addressing, plain HTTP, and the credentials.
     */
    public Map<String, String> sparkConf() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("spark.hadoop.fs.s3a.endpoint", endpoint());
        m.put("spark.hadoop.fs.s3a.endpoint.region", "us-east-1");
        m.put("spark.hadoop.fs.s3a.path.style.access", "true");
        m.put("spark.hadoop.fs.s3a.connection.ssl.enabled", "false");
        m.put("spark.hadoop.fs.s3a.access.key", ACCESS_KEY);
        m.put("spark.hadoop.fs.s3a.secret.key", SECRET_KEY);
        return m;
    }

    /** Creates the buckets (S3A itself never creates one). */
    public void createBuckets(List<String> names) {
        try (S3Client s3 = S3Client.builder().endpointOverride(URI.create(endpoint())).region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build()) {
            for (String b : names) {
                s3.createBucket(r -> r.bucket(b));
            }
        }
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
