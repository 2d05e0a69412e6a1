package io.gnsweep.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.spark.SweepFixture;
import io.gnsweep.spark.SweepFixture.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.security.UserGroupInformation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage the user named wrongly, on a real HDFS: a NameNode nobody listens on, and folders another user may
 * not read or write. Each is one message naming the URI, exit status 2, before Spark starts (the sweep would
 * print its "trials to run" line), with nothing written anywhere.
 */
class HdfsBadInputTest {
    /** A port nothing listens on: connections are refused at once. */
    static final String NOBODY = "hdfs://127.0.0.1:1/x";

    @TempDir
    static Path dir;
    static MiniHdfs hdfs;
    static String data;

    @BeforeAll
    static void start() throws IOException {
        hdfs = MiniHdfs.start(dir.resolve("hdfs"));
        data = hdfs.putShippedFashionMnist("/data/fashion-mnist");
        FileSystem fs = hdfs.fs();
        // owned by this JVM's user, HDFS's superuser; another user may look into /readonly but not write there,
        // and may not even look into /private
        fs.mkdirs(new org.apache.hadoop.fs.Path("/readonly"), new FsPermission((short) 0755));
        fs.setPermission(new org.apache.hadoop.fs.Path("/readonly"), new FsPermission((short) 0755));
        fs.mkdirs(new org.apache.hadoop.fs.Path("/private"));
        fs.setPermission(new org.apache.hadoop.fs.Path("/private"), new FsPermission((short) 0700));
        hdfs.putShippedFashionMnist("/private/fashion-mnist");
    }

    @AfterAll
    static void stop() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    static List<String> args(String data, String output) {
        return new ArrayList<>(Arrays.asList("name=bad", "dataset.path=" + data, "output=" + output,
                "model-width=0.25", "dataset.train-limit=64", "dataset.test-limit=32", "axes.norm=[group]",
                "axes.batch-size=[16]", "axes.groups=[2]", "axes.seed=[1]", "--master", "local[1]"));
    }

    /** Exit 2, one "gnsweep sweep:" message that names the URI, and no sign that work started. */
    static void assertRefused(Run r, String uri, String why) {
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().startsWith("gnsweep sweep: "), r.err());
        assertEquals(1, r.err().split("gnsweep sweep:", -1).length - 1, "one message: " + r.err());
        assertTrue(r.err().contains(uri), "the message names " + uri + ": " + r.err());
        assertTrue(r.err().contains(why), "the message says " + why + ": " + r.err());
        assertFalse(r.out().contains("trials to run"), r.out());
    }

    static Run timed(List<String> args) {
        long t0 = System.nanoTime();
        Run r = SweepFixture.sweep(args);
        System.out.printf("refused in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return r;
    }

    @Test
    void anUnreachableNamenodeForTheDataIsRefused() throws IOException {
        Path out = dir.resolve("out-data-unreachable");
        Run r = timed(args(NOBODY, out.toString()));
        assertRefused(r, NOBODY, "Connection refused");
        assertFalse(r.err().contains("apt-get"), "no download hint for an unreachable store: " + r.err());
        assertFalse(Files.exists(out), "the output folder was created");
    }

    @Test
    void anUnreachableNamenodeForTheOutputIsRefused() {
        Run r = timed(args(data, NOBODY));
        assertRefused(r, NOBODY, "Connection refused");
    }

    @Test
    void dataAnotherUserMayNotReadIsRefused() throws Exception {
        Path out = dir.resolve("out-data-private");
        String denied = hdfs.uri("/private/fashion-mnist");
        Run r = as("alice", args(denied, out.toString()));
        assertRefused(r, denied, "Permission denied");
        assertFalse(Files.exists(out), "the output folder was created");
    }

    @Test
    void anOutputFolderTheUserMayNotWriteIsRefusedAndLeftAsItWas() throws Exception {
        String denied = hdfs.uri("/readonly/results/sweep");
        Run r = as("alice", args(data, denied));
        assertRefused(r, denied, "Permission denied");
        assertEquals(0, hdfs.fs().listStatus(new org.apache.hadoop.fs.Path("/readonly")).length,
                "something was written under /readonly");
    }

    @Test
    void aWritableOutputIsCheckedWithoutLeavingAnything() throws Exception {
        // a dry run validates everything, the output's write probe included, and stops before Spark
        String fresh = hdfs.uri("/fresh/a/b");
        Run r = SweepFixture.sweep(addDryRun(args(data, fresh)));
        assertEquals(0, r.exit(), r.err());
        assertFalse(hdfs.fs().exists(new org.apache.hadoop.fs.Path("/fresh")), "the check left /fresh behind");
    }

    private static List<String> addDryRun(List<String> a) {
        a.add("--dry-run");
        return a;
    }

    /** The sweep command as another HDFS user (simple authentication: HDFS believes the name the client sends). */
    static Run as(String user, List<String> args) throws Exception {
        return UserGroupInformation.createRemoteUser(user).doAs((PrivilegedExceptionAction<Run>) () -> timed(args));
    }
}
