package io.gnsweep.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gnsweep.sweep.SweepSpec;
import io.gnsweep.train.TrialSpec;

/**
 * {@code spec.json}, written beside a sweep's tables: {@code sweep_id}, {@code sweep_name}, {@code trials} (the
 * trial ids, in expansion order) and {@code spec} (the expanded spec), two-space indented, one array item a line.
 */
final class SpecJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n"));

    private SpecJson() {}

    /** The text of spec.json for this sweep, with a final newline. */
    static String of(SweepSpec spec) {
        ObjectNode root = JSON.createObjectNode();
        root.put("sweep_id", spec.sweepId());
        root.put("sweep_name", spec.name());
        ArrayNode trials = root.putArray("trials");
        for (TrialSpec t : spec.trials()) {
            trials.add(t.trialId());
        }
        try {
            root.set("spec", JSON.readTree(spec.resolvedJson()));
            return JSON.writer(PRETTY).writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the expanded spec is not JSON: " + e.getMessage(), e);
        }
    }

    /** The {@code sweep_id} a spec.json names, or null when it names none or is not JSON. */
    static String sweepIdOf(String specJson) {
        try {
            JsonNode id = JSON.readTree(specJson).get("sweep_id");
            return id == null || !id.isTextual() ? null : id.asText();
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
