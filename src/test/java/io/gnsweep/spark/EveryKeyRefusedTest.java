package io.gnsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.config.ConfigKeys;
import io.gnsweep.sweep.SweepSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every key of sweep-reference.conf, given a value of the wrong type and one out of range, is refused by
 * {@code gnsweep sweep} with exit 2 and a message naming the key, before any work and with nothing written.
 * A key added to the reference without its bad values here fails {@link #everyKeyHasItsBadValues}.
 */
class EveryKeyRefusedTest {
    @TempDir
    Path dir;

    /** key -> cases; a case is the overrides that make the value bad (extra context after the first). */
    static final Map<String, List<List<String>>> BAD = new LinkedHashMap<>();

    private static void bad(String key, String... cases) {
        List<List<String>> list = new ArrayList<>();
        for (String c : cases) {
            list.add(List.of(c.split(" ")));
        }
        BAD.put(key, list);
    }

    static {
        bad("name", "name=[1,2]", "name=a/b");
        bad("dataset.name", "dataset.name=[x]", "dataset.name=imagenet");
        bad("dataset.path", "dataset.path=[1]", "dataset.path=/no/such/folder");
        bad("dataset.train-limit", "dataset.train-limit=abc", "dataset.train-limit=0", "dataset.train-limit=1.5");
        bad("dataset.test-limit", "dataset.test-limit=abc", "dataset.test-limit=-3", "dataset.test-limit=2.5");
        bad("model", "model=[a]", "model=resnet50");
        bad("model-depth", "model-depth=abc model=resnet axes.groups=[4]", "model-depth=21 model=resnet axes.groups=[4]",
                "model-depth=56");
        bad("model-width", "model-width=wide", "model-width=0", "model-width=-1");
        bad("zero-init-last-norm", "zero-init-last-norm=maybe", "zero-init-last-norm=true");
        bad("train.epochs", "train.epochs=x", "train.epochs=0", "train.epochs=1.5");
        bad("train.lr", "train.lr=x", "train.lr=-1");
        bad("train.lr-scaling", "train.lr-scaling=[a]", "train.lr-scaling=quadratic");
        bad("train.optimizer", "train.optimizer=[a]", "train.optimizer=rmsprop");
        bad("train.momentum", "train.momentum=x train.optimizer=sgd", "train.momentum=1 train.optimizer=sgd",
                "train.momentum=0.5");
        bad("train.nesterov", "train.nesterov=maybe train.optimizer=sgd", "train.nesterov=true");
        bad("train.weight-decay", "train.weight-decay=x", "train.weight-decay=-1e-4");
        bad("train.lr-schedule", "train.lr-schedule=[a]", "train.lr-schedule=exponential");
        bad("train.lr-milestones", "train.lr-milestones=x train.lr-schedule=step",
                "train.lr-milestones=[0.75,0.5] train.lr-schedule=step", "train.lr-milestones=[0.5,1] train.lr-schedule=step",
                "train.lr-milestones=[0.3]");
        bad("train.lr-decay", "train.lr-decay=x train.lr-schedule=step", "train.lr-decay=0 train.lr-schedule=step",
                "train.lr-decay=0.5 train.lr-schedule=cosine");
        bad("train.warmup-epochs", "train.warmup-epochs=x", "train.warmup-epochs=1", "train.warmup-epochs=-1");
        bad("train.augment", "train.augment=[a]", "train.augment=mixup");
        bad("axes.norm", "axes.norm={a=1}", "axes.norm=[foo]", "axes.norm=[]");
        bad("axes.batch-size", "axes.batch-size=[x]", "axes.batch-size=[0]", "axes.batch-size=[4.7]");
        bad("axes.groups", "axes.groups=[x]", "axes.groups=[0]", "axes.groups=[3]");
        bad("axes.seed", "axes.seed=[x]", "axes.seed=[-1]", "axes.seed=[1.5]", "axes.seed=[1,1]");
        bad("axes.model-depth", "axes.model-depth=[x] model=resnet axes.groups=[4]",
                "axes.model-depth=[20,21] model=resnet axes.groups=[4]",
                "axes.model-depth=[20,32] model=resnet model-depth=56 axes.groups=[4]");
        bad("axes.optimizer", "axes.optimizer={a=1}", "axes.optimizer=[adam,rmsprop]", "axes.optimizer=[]");
        bad("axes.weight-decay", "axes.weight-decay=[x]", "axes.weight-decay=[0,-1]",
                "axes.weight-decay=[0,1e-4] train.weight-decay=5e-4");
        bad("gpu.cpu-fallback", "gpu.cpu-fallback=maybe", "gpu.cpu-fallback=[true]");
        bad("output", "output=[1]", "output=/proc/nope");
    }

    @Test
    void aDryRunOfAValidSpecLeavesNoFolderBehindAndHelpListsEveryKey() {
        Path out = dir.resolve("new/deeper");
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        assertEquals(0, SweepJob.run(new String[] {"output=" + out, "--dry-run"}, new PrintStream(text),
                new PrintStream(new ByteArrayOutputStream())));
        assertFalse(Files.exists(dir.resolve("new")), "the write check removes the folders it made");
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        assertEquals(0, SweepJob.run(new String[] {"--help"}, new PrintStream(help), new PrintStream(help)));
        for (String key : BAD.keySet()) {
            String leaf = key.substring(key.lastIndexOf('.') + 1);
            assertTrue(help.toString().contains(leaf + " ="), "--help shows " + key);
        }
    }


    @Test
    void everyKeyHasItsBadValues() {
        List<String> keys = ConfigKeys.of(SweepSpec.REFERENCE);
        assertEquals(new TreeSet<>(keys), new TreeSet<>(BAD.keySet()),
                "every key of sweep-reference.conf needs a wrong-type and an out-of-range case here");
        BAD.forEach((k, cases) -> assertTrue(cases.size() >= 2, k + " needs at least two bad values"));
    }

    @Test
    void eachBadValueIsRefusedNamingItsKeyBeforeAnyWork() {
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, List<List<String>>> e : BAD.entrySet()) {
            for (List<String> c : e.getValue()) {
                Path out = dir.resolve("out-" + Math.abs(c.hashCode()));
                List<String> args = new ArrayList<>(c);
                if (!e.getKey().equals("output")) {
                    args.add("output=" + out);
                }
                args.add("--dry-run");
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int exit = SweepJob.run(args.toArray(String[]::new), new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
                String msg = err.toString(StandardCharsets.UTF_8);
                if (exit != 2 || !msg.contains(e.getKey()) || msg.lines().count() > 4) {
                    failures.add(c + ": exit " + exit + ", " + msg.strip());
                }
                assertFalse(Files.exists(out) && !e.getKey().equals("dataset.path"), c + " wrote " + out);
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
