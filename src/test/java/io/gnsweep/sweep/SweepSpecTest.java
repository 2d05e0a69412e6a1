package io.gnsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.config.UsageException;
import io.gnsweep.model.NormKind;
import io.gnsweep.train.TrialSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Expansion, ids and validation of sweep specs (no Spark). */
class SweepSpecTest {

    private static List<String> ids(SweepSpec s) {
        return s.trials().stream().map(TrialSpec::trialId).toList();
    }

    @Test
    void theEmbeddedQuickSpecExpandsDeterministically() {
        SweepSpec a = SweepSpec.load(null, List.of());
        SweepSpec b = SweepSpec.load(null, List.of());
        assertEquals(List.of("batch-bs4-s1", "batch-bs64-s1", "group-g8-bs4-s1", "group-g8-bs64-s1"), ids(a));
        assertEquals(ids(a), ids(b));
        assertEquals(a.sweepId(), b.sweepId());
        assertEquals("quick", a.name());
        assertTrue(a.output().endsWith("results/quick"), a.output());
        assertEquals(10000, a.trials().get(0).trainLimit());
    }

    @Test
    void theRepositoryCopyOfQuickEqualsTheEmbeddedOne() {
        SweepSpec file = SweepSpec.load(Path.of("conf/sweeps/quick.conf"), List.of());
        assertEquals(SweepSpec.load(null, List.of()).sweepId(), file.sweepId());
    }

    @Test
    void groupsApplyToGroupOnlyAndOverridesChangeTheId() {
        SweepSpec s = SweepSpec.load(null, List.of("axes.norm=[none,batch,group,layer,instance]",
                "axes.groups=[4,8]", "axes.batch-size=[8]", "axes.seed=[1,2]", "name=q2"));
        assertEquals(List.of("none-bs8-s1", "none-bs8-s2", "batch-bs8-s1", "batch-bs8-s2",
                "group-g4-bs8-s1", "group-g4-bs8-s2", "group-g8-bs8-s1", "group-g8-bs8-s2",
                "layer-bs8-s1", "layer-bs8-s2", "instance-bs8-s1", "instance-bs8-s2"), ids(s));
        assertNull(s.trials().get(0).groups());
        assertEquals(Integer.valueOf(1), s.trials().get(8).effectiveGroups());
        assertEquals(NormKind.INSTANCE, s.trials().get(11).norm());
        assertTrue(s.output().endsWith("results/q2"), "output follows ${name}: " + s.output());
        assertNotEquals(SweepSpec.load(null, List.of()).sweepId(), s.sweepId());
    }

    @Test
    void theOutputAndDataLocationDoNotChangeTheSweepId() {
        String id = SweepSpec.load(null, List.of()).sweepId();
        assertEquals(id, SweepSpec.load(null, List.of("output=/tmp/elsewhere")).sweepId());
        assertEquals(id, SweepSpec.load(null, List.of("dataset.path=/data/fm")).sweepId());
    }

    @Test
    void linearLearningRateScaling() {
        SweepSpec s = SweepSpec.load(null, List.of("train.lr-scaling=linear", "train.lr=0.001"));
        assertEquals(0.001 * 4 / 32, s.trials().get(0).lr(), 1e-15);
        assertEquals(0.001 * 64 / 32, s.trials().get(1).lr(), 1e-15);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "axes.groups=[12]                | axes.groups = 12: does not divide the 32 channels",
        "axes.groups=[0]                 | axes.groups = 0: must be >= 1",
        "axes.batch-size=[0]             | axes.batch-size = 0: must be >= 1",
        "axes.batch-size=[20000]         | axes.batch-size = 20000: exceeds dataset.train-limit = 10000",
        "axes.norm=[batch,foo]           | unknown norm 'foo'",
        "axes.norm=[]                    | axes.norm = []: empty axis",
        "axes.seed=[]                    | axes.seed = []: empty axis",
        "axes.batch-size=[4,4]           | axes.batch-size: value 4 appears twice",
        "model=resnet50                  | unknown model 'resnet50'",
        "dataset.name=imagenet           | dataset.name = imagenet: unknown dataset",
        "train.epochs=0                  | train.epochs = 0: must be >= 1",
        "train.lr-scaling=sqrt           | train.lr-scaling = sqrt: expected none or linear",
        "axis.seed=[1]                   | unknown key 'axis.seed'",
        "axes.seed=one                   | axes.seed = \"one\": expected a list of whole numbers",
    })
    void badValuesAreRefusedNamingKeyAndValue(String override, String expected) {
        UsageException e = assertThrows(UsageException.class, () -> SweepSpec.load(null, List.of(override)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void unknownKeysInASpecFileAreRefused(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("typo.conf");
        Files.writeString(spec, "name = t\naxes { norms = [group] }\n");
        UsageException e = assertThrows(UsageException.class, () -> SweepSpec.load(spec, List.of()));
        assertTrue(e.getMessage().contains("unknown key 'axes.norms'"), e.getMessage());
        UsageException missing = assertThrows(UsageException.class,
                () -> SweepSpec.load(dir.resolve("nope.conf"), List.of()));
        assertTrue(missing.getMessage().contains("nope.conf"), missing.getMessage());
    }

    @Test
    void shippedSpecsAllValidate() throws Exception {
        try (var files = Files.list(Path.of("conf/sweeps"))) {
            List<Path> specs = files.filter(p -> p.toString().endsWith(".conf")).toList();
            assertTrue(specs.contains(Path.of("conf/sweeps/quick.conf")), specs.toString());
            for (Path f : specs) {
                SweepSpec s = SweepSpec.load(f, List.of());
                assertTrue(s.trials().size() >= 1, f.toString());
            }
        }
    }
}
