package io.gnsweep.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;

/**
 * A {@link DataFolder} inside the class path, named {@code classpath:some/folder} (a resource path, no
 * leading slash). gnsweep's jar ships a Fashion-MNIST subset as {@value #SHIPPED_FASHION_MNIST}; since the
 * jar is on every Spark executor's class path, such a folder reaches the executors without shipping files or
 * a shared file system.
 */
public final class ClasspathDataFolder implements DataFolder {

    /** The prefix of a {@code dataset.path} value that names a class-path folder. */
    public static final String SCHEME = "classpath:";

    /** The first 10,000 training and 2,000 test images of Fashion-MNIST, inside gnsweep's jar. */
    public static final String SHIPPED_FASHION_MNIST = "classpath:gnsweep/data/fashion-mnist-subset";

    private final String folder;

    /** The folder that {@code path} ({@code classpath:a/b}) names; throws IllegalArgumentException otherwise. */
    public ClasspathDataFolder(String path) {
        if (!isClasspath(path)) {
            throw new IllegalArgumentException("not a " + SCHEME + " path: " + path);
        }
        String f = path.substring(SCHEME.length());
        while (f.startsWith("/")) {
            f = f.substring(1);
        }
        this.folder = f.endsWith("/") ? f.substring(0, f.length() - 1) : f;
    }

    /** Whether a {@code dataset.path} value names a class-path folder. */
    public static boolean isClasspath(String path) {
        return path != null && path.startsWith(SCHEME);
    }

    @Override
    public String describe() {
        return SCHEME + folder;
    }

    @Override
    public boolean exists(String fileName) {
        return resource(fileName) != null;
    }

    @Override
    public InputStream open(String fileName) throws IOException {
        URL url = resource(fileName);
        if (url == null) {
            throw new FileNotFoundException(locate(fileName) + " (not on the class path)");
        }
        return url.openStream();
    }

    @Override
    public long length(String fileName) throws IOException {
        URL url = resource(fileName);
        if (url == null) {
            throw new FileNotFoundException(locate(fileName) + " (not on the class path)");
        }
        URLConnection c = url.openConnection();
        c.setUseCaches(false); // a cached jar connection would keep the jar open after this call
        long length = c.getContentLengthLong();
        if (length >= 0) {
            try {
                c.getInputStream().close();
            } catch (IOException ignored) {
                // only the length was needed
            }
            return length;
        }
        return DataFolder.super.length(fileName);
    }

    /**
     * The file's URL, from the thread's context class loader first (a Spark executor's task thread sees the
     * application jar and {@code --jars} there), else from the loader of this class.
     */
    private URL resource(String fileName) {
        String name = folder.isEmpty() ? fileName : folder + "/" + fileName;
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        URL url = context == null ? null : context.getResource(name);
        return url != null ? url : ClasspathDataFolder.class.getClassLoader().getResource(name);
    }

    @Override
    public String toString() {
        return "ClasspathDataFolder[" + folder + "]";
    }
}
