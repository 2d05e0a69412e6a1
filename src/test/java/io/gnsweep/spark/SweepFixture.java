package io.gnsweep.spark;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.data.ClasspathDataFolder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs small real sweeps (Fashion-MNIST subsets, a quarter-width small-cnn) and captures their output. */
public final class SweepFixture {
    private SweepFixture() {}

    /** The sweeps below use the quick spec's default data: the Fashion-MNIST subset inside the jar. */
    static void requireData() {
        assertTrue(new ClasspathDataFolder(ClasspathDataFolder.SHIPPED_FASHION_MNIST).exists("train-images-idx3-ubyte.gz"),
                "the Fashion-MNIST subset is missing from the class path (src/main/resources/gnsweep/data)");
    }

    /** A tiny but real sweep: 4 trials (batch, group G=2) x (bs 16, 32), 1 epoch on 256 images. */
    static List<String> tiny(Path out, String... more) {
        return tiny(out.toString(), more);
    }

    /** As {@link #tiny(Path, String...)}, with the output as a path or URI. */
    static List<String> tiny(String out, String... more) {
        List<String> args = new ArrayList<>(List.of("name=tiny", "output=" + out, "model-width=0.25",
                "dataset.train-limit=256", "dataset.test-limit=128", "axes.norm=[batch,group]",
                "axes.batch-size=[16,32]", "axes.groups=[2]", "axes.seed=[1]", "train.lr=0.002"));
        args.addAll(List.of(more));
        return args;
    }

    /** Result of one in-process run of the sweep command. */
    public record Run(int exit, String out, String err) {}

    /** Runs the sweep command in this JVM, capturing and echoing its output. */
    public static Run sweep(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = SweepJob.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        Run r = new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        System.out.println(r.out() + r.err());
        return r;
    }
}
