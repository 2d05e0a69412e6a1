package io.gnsweep.report;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The report folder, on any file system Hadoop knows (local, HDFS, object stores), so the
 * report can sit next to results that live on a cluster. Files are overwritten.
 */
public final class OutputFolder {

  private final Path dir;
  private final FileSystem fs;

  /** Opens (does not yet create) {@code dir}. */
  public OutputFolder(String dir, Configuration hadoop) throws IOException {
    this.dir = new Path(dir);
    this.fs = this.dir.getFileSystem(hadoop);
    this.fs.setWriteChecksum(false); // no .crc side files next to the report on a local disk
  }

  /** Writes UTF-8 text to {@code name} inside the folder. */
  public void write(String name, String text) throws IOException {
    write(name, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes bytes to {@code name} inside the folder, creating the folder if needed. */
  public void write(String name, byte[] bytes) throws IOException {
    try (FSDataOutputStream out = fs.create(new Path(dir, name), true);
        OutputStream o = out) {
      o.write(bytes);
    }
  }

  /** The folder as a qualified URI string. */
  @Override
  public String toString() {
    return fs.makeQualified(dir).toString();
  }
}
