package io.gnsweep.spark;

import io.gnsweep.data.DataFolder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** A dataset folder behind any URI Hadoop reads (hdfs://, s3a://, file://, ...). */
final class HadoopDataFolder implements DataFolder {
    private final String uri;
    private transient FileSystem fs;

    HadoopDataFolder(String uri) {
        this.uri = uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    }

    private FileSystem fs() throws IOException {
        if (fs == null) {
            fs = FileSystem.get(URI.create(uri), HadoopConf.get());
        }
        return fs;
    }

    @Override
    public String describe() {
        return uri;
    }

    @Override
    public String locate(String fileName) {
        return uri + "/" + fileName;
    }

    @Override
    public boolean exists(String fileName) {
        try {
            return fs().exists(new Path(locate(fileName)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot access " + locate(fileName) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream open(String fileName) throws IOException {
        return fs().open(new Path(locate(fileName)));
    }

    @Override
    public long length(String fileName) throws IOException {
        return fs().getFileStatus(new Path(locate(fileName))).getLen();
    }
}
