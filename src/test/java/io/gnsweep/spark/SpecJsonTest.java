package io.gnsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gnsweep.sweep.SweepSpec;
import io.gnsweep.train.TrialSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** spec.json: the fields it always had, its sweep id read back, and anything else read as no id. */
class SpecJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<String> fields(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void holdsTheIdTheNameTheTrialsAndTheExpandedSpec() throws Exception {
        SweepSpec spec = SweepSpec.load(null, List.of("axes.seed=[1,2]", "name=two-seeds"));
        String text = SpecJson.of(spec);
        JsonNode n = JSON.readTree(text);
        assertEquals(List.of("sweep_id", "sweep_name", "trials", "spec"), fields(n));
        // the spec.json files written before Jackson wrote them have the same fields, in the same order
        JsonNode earlier = JSON.readTree(Files.readString(Path.of("docs/study/study-batch/spec.json")));
        assertEquals(fields(earlier), fields(n));
        assertEquals(spec.sweepId(), n.get("sweep_id").asText());
        assertEquals("two-seeds", n.get("sweep_name").asText());
        List<String> trials = new ArrayList<>();
        n.get("trials").forEach(t -> trials.add(t.asText()));
        assertEquals(spec.trials().stream().map(TrialSpec::trialId).toList(), trials);
        assertEquals(JSON.readTree(spec.resolvedJson()), n.get("spec"));
        assertTrue(text.startsWith("{\n  \"sweep_id\" : \"" + spec.sweepId() + "\",\n"), text);
        assertTrue(text.contains("\n  \"trials\" : [\n    \"" + trials.get(0) + "\",\n    \""), "one trial a line");
        assertTrue(text.endsWith("}\n"));
        assertEquals(spec.sweepId(), SpecJson.sweepIdOf(text));
    }

    @Test
    void aFileWithoutATextSweepIdHasNone() {
        assertNull(SpecJson.sweepIdOf("not json {"));
        assertNull(SpecJson.sweepIdOf("{}"));
        assertNull(SpecJson.sweepIdOf("{\"sweep_id\": 12}"));
        assertEquals("0123456789ab", SpecJson.sweepIdOf("{ \"sweep_id\" : \"0123456789ab\", \"x\" : 1 }"));
    }
}
