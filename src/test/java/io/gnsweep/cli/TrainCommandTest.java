package io.gnsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.gnsweep.config.ConfigKeys;
import io.gnsweep.optim.LrSchedule;
import io.gnsweep.train.Protocol;
import io.gnsweep.train.TrialSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import io.gnsweep.config.Overrides;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gnsweep train}: its keys reach the trial, and every key of train-defaults.conf, given a value of the
 * wrong type and one out of range, is refused with exit 2 and a message naming the key, before any training.
 */
class TrainCommandTest {
    private static final String SMALL = "dataset.path=classpath:gnsweep/data/fashion-mnist-subset "
            + "dataset.train-limit=64 dataset.test-limit=32";

    static final Map<String, List<String>> BAD = new LinkedHashMap<>();

    private static void bad(String key, String... cases) {
        BAD.put(key, List.of(cases));
    }

    static {
        bad("dataset.name", "dataset.name=[x]", "dataset.name=imagenet");
        bad("dataset.path", "dataset.path=[1]", "dataset.path=/no/such/folder");
        bad("dataset.train-limit", "dataset.train-limit=abc", "dataset.train-limit=0", "dataset.train-limit=1.5");
        bad("dataset.test-limit", "dataset.test-limit=abc", "dataset.test-limit=0");
        bad("model", "model=[a]", "model=resnet50");
        bad("model-depth", "model-depth=x model=resnet groups=4", "model-depth=21 model=resnet groups=4", "model-depth=32");
        bad("model-width", "model-width=wide", "model-width=0");
        bad("zero-init-last-norm", "zero-init-last-norm=maybe", "zero-init-last-norm=true");
        bad("norm", "norm=[a]", "norm=weight");
        bad("groups", "groups=x", "groups=0", "groups=3", "groups=2.5");
        bad("batch-size", "batch-size=x", "batch-size=0", "batch-size=4.7");
        bad("lr", "lr=x", "lr=0");
        bad("epochs", "epochs=x", "epochs=0", "epochs=2.5");
        bad("seed", "seed=x", "seed=-1", "seed=1.5");
        bad("threads", "threads=x", "threads=-1");
        bad("optimizer", "optimizer=[a]", "optimizer=lbfgs");
        bad("momentum", "momentum=x optimizer=sgd", "momentum=-0.1 optimizer=sgd", "momentum=0.5");
        bad("nesterov", "nesterov=maybe optimizer=sgd", "nesterov=true");
        bad("weight-decay", "weight-decay=x", "weight-decay=-1");
        bad("lr-schedule", "lr-schedule=[a]", "lr-schedule=linear");
        bad("lr-milestones", "lr-milestones=x lr-schedule=step", "lr-milestones=[0.5,0.5] lr-schedule=step",
                "lr-milestones=[0,0.5] lr-schedule=step", "lr-milestones=[0.2] lr-schedule=cosine");
        bad("lr-decay", "lr-decay=x lr-schedule=step", "lr-decay=2 lr-schedule=step", "lr-decay=0.5");
        bad("warmup-epochs", "warmup-epochs=x", "warmup-epochs=1", "warmup-epochs=3 epochs=2");
        bad("augment", "augment=[a]", "augment=cutout");
        bad("step-times", "step-times=[a]", "step-times=/no/such/folder/steps.tsv", "step-times=/");
    }


    @Test
    void everyKeyHasItsBadValues() {
        List<String> keys = ConfigKeys.of("gnsweep/train-defaults.conf");
        assertEquals(new TreeSet<>(keys), new TreeSet<>(BAD.keySet()),
                "every key of train-defaults.conf needs a wrong-type and an out-of-range case here");
        BAD.forEach((k, cases) -> assertTrue(cases.size() >= 2, k + " needs at least two bad values"));
    }

    @Test
    void eachBadValueIsRefusedNamingItsKeyBeforeTraining() {
        List<String> failures = new ArrayList<>();
        BAD.forEach((key, cases) -> {
            for (String c : cases) {
                List<String> args = new ArrayList<>(Arrays.asList(SMALL.split(" ")));
                args.addAll(Arrays.asList(c.split(" ")));
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int exit = TrainCommand.run(args.toArray(String[]::new), new PrintStream(out),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
                String msg = err.toString(StandardCharsets.UTF_8);
                if (exit != 2 || !msg.contains(key) || out.toString().contains("epoch 1/")) {
                    failures.add(c + ": exit " + exit + ", " + msg.strip());
                }
            }
        });
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void stepTimesHoldsOneLinePerTrainingStep(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("steps.tsv");
        List<String> args = new ArrayList<>(Arrays.asList(SMALL.split(" ")));
        args.addAll(List.of("epochs=2", "batch-size=16", "model-width=0.25", "step-times=" + file));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, TrainCommand.run(args.toArray(String[]::new), new PrintStream(out), System.err), out.toString());
        List<String> lines = Files.readAllLines(file);
        assertEquals("epoch\tstep\tms", lines.get(0));
        assertEquals(1 + 2 * 64 / 16, lines.size(), String.join("\n", lines)); // 4 steps of 16 in each of 2 epochs
        double sum = 0;
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split("\t");
            assertEquals(String.valueOf((i - 1) / 4 + 1), f[0]);
            assertEquals(String.valueOf((i - 1) % 4 + 1), f[1]);
            double ms = Double.parseDouble(f[2]);
            assertTrue(ms > 0, lines.get(i));
            sum += i <= 4 ? ms : 0;
        }
        // the epoch's own time holds its steps' times (and only the batches' bookkeeping besides)
        String epoch1 = out.toString().lines().filter(l -> l.startsWith("epoch 1/2")).findFirst().orElseThrow();
        double epochS = Double.parseDouble(epoch1.replaceAll(".*\\(([0-9.]+) s\\)$", "$1"));
        assertTrue(sum / 1e3 <= epochS + 0.05, sum + " ms of steps in an epoch of " + epochS + " s");
    }

    @Test
    void theProtocolKeysReachTheTrial() {
        TrialSpec s = TrainCommand.spec(Overrides.apply(ConfigFactory.parseResources("gnsweep/train-defaults.conf"),
                List.of("model=resnet", "model-depth=32", "groups=4", "optimizer=sgd", "momentum=0.8",
                        "nesterov=true", "weight-decay=1e-4", "lr-schedule=step", "lr-milestones=[0.3,0.6,0.9]",
                        "lr-decay=0.2", "warmup-epochs=0.5", "augment=crop-flip", "epochs=3",
                        "zero-init-last-norm=false")));
        Protocol p = s.protocol();
        assertEquals(new Protocol(Protocol.Optimizer.SGD, 0.8, true, 1e-4, LrSchedule.Kind.STEP, List.of(0.3, 0.6, 0.9),
                0.2, 0.5, Protocol.Augment.CROP_FLIP), p);
        assertEquals(32, s.modelDepth());
        assertEquals(Boolean.FALSE, s.zeroInitLastNorm());
        assertEquals("group-g4-bs32-d32-sgd-wd1e-4-s1", s.trialId());
        TrialSpec d = TrainCommand.spec(Overrides.apply(ConfigFactory.parseResources("gnsweep/train-defaults.conf"),
                List.of()));
        assertEquals(Protocol.DEFAULT, d.protocol());
        assertEquals("group-g8-bs32-s1", d.trialId());
    }
}
