package io.gnsweep.storage;

import io.gnsweep.data.ClasspathDataFolder;
import io.gnsweep.data.DatasetLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.net.InetAddress;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.server.namenode.AuditLogger;

/**
 * A real HDFS in the test JVM (a NameNode and one DataNode from hadoop-client-minicluster, at Spark's Hadoop
 * version) on loopback, with permissions on. Executor JVMs and a separate driver JVM reach it by its
 * {@code hdfs://127.0.0.1:port} URI like any other HDFS.
 */
public final class MiniHdfs implements AutoCloseable {
    private final MiniDFSCluster dfs;
    private final String uri;

    private MiniHdfs(MiniDFSCluster dfs) {
        this.dfs = dfs;
        this.uri = "hdfs://127.0.0.1:" + dfs.getNameNodePort();
    }

    /** Starts it with its storage under {@code base}. */
    public static MiniHdfs start(Path base) throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toAbsolutePath().toString());
        conf.setInt("dfs.replication", 1); // one DataNode
        // loopback only, every port chosen free (fixed default ports would collide with other processes here)
        conf.set("dfs.namenode.http-address", "127.0.0.1:0");
        conf.set("dfs.datanode.address", "127.0.0.1:0");
        conf.set("dfs.datanode.http.address", "127.0.0.1:0");
        conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
        // the DataNode registers under this name instead of the machine's host name, which a CI container may
        // not resolve
        conf.set("dfs.datanode.hostname", "127.0.0.1");
        conf.set("dfs.namenode.audit.loggers", "default," + Opens.class.getName());
        MiniDFSCluster dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        dfs.waitActive();
        return new MiniHdfs(dfs);
    }

    /** {@code hdfs://127.0.0.1:port} */
    public String uri() {
        return uri;
    }

    /** {@code hdfs://127.0.0.1:port/path} */
    public String uri(String path) {
        return uri + (path.startsWith("/") ? path : "/" + path);
    }

    /** A client as the user who started it (HDFS's superuser). */
    public FileSystem fs() {
        try {
            return FileSystem.get(URI.create(uri), new Configuration());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the four IDX .gz files of the Fashion-MNIST subset inside the jar to {@code dir}; returns its URI. */
    public String putShippedFashionMnist(String dir) throws IOException {
        ClasspathDataFolder shipped = new ClasspathDataFolder(ClasspathDataFolder.SHIPPED_FASHION_MNIST);
        List<String> files = DatasetLoader.files("fashion-mnist", shipped);
        for (String f : files) {
            try (InputStream in = shipped.open(f);
                 OutputStream out = fs().create(new org.apache.hadoop.fs.Path(uri(dir + "/" + f)), true)) {
                in.transferTo(out);
            }
        }
        return uri(dir);
    }

    /**
     * How many times clients (any JVM) opened the file at {@code path} (e.g. "/data/x") for reading, from the
     * NameNode's audit events: the proof that a reader really read HDFS and not some other copy.
     */
    public long opens(String path) {
        return Opens.SEEN.stream().filter(p -> p.equals(path)).count();
    }

    /** The NameNode's audit logger that records each successful open (instantiated by the NameNode). */
    public static final class Opens implements AuditLogger {
        static final Queue<String> SEEN = new ConcurrentLinkedQueue<>();

        @Override
        public void initialize(Configuration conf) {}

        @Override
        public void logAuditEvent(boolean succeeded, String user, InetAddress addr, String cmd, String src, String dst,
                                  FileStatus stat) {
            if (succeeded && "open".equals(cmd)) {
                SEEN.add(src);
            }
        }
    }

    @Override
    public void close() {
        dfs.shutdown(true);
    }
}
