package io.gnsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.ConfigFactory;
import io.gnsweep.config.Overrides;
import io.gnsweep.data.ImageDataset;
import io.gnsweep.train.Trainer;
import io.gnsweep.train.TrialSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch networks of {@code jobs/torch_speed.py} (the replica {@code jobs/bench.sh --parts torch} times
 * against gnsweep) have the parameter count of gnsweep's networks for the same {@code train} arguments, for every
 * trial of the benchmark's {@code default} and {@code smoke} lists. The count is DL4J's:
 * BatchNorm's running mean and variance included. Skipped, with the reason, when /usr/bin/python3 cannot import torch.
 */
class TorchSpeedReplicaTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @Test
    void replicaNetworksHaveGnsweepsParameterCounts() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), PYTHON + " not found");
        assumeTrue(run(List.of(PYTHON.toString(), "-c", "import torch, numpy")).exit == 0,
                PYTHON + " cannot import torch (apt-get install -y python3-torch)");
        Map<String, String[]> trials = new LinkedHashMap<>();   // label -> {torch count, args}
        for (String list : List.of("default", "smoke")) {
            Result r = run(List.of(PYTHON.toString(), "jobs/torch_bench.py", "params", "--configs", list));
            assertEquals(0, r.exit, r.out);
            for (String line : r.out.strip().split("\n")) {
                String[] f = line.split("\t");
                assertEquals(3, f.length, line);
                trials.put(f[0], new String[] {f[1], f[2]});
            }
        }
        assertTrue(trials.size() >= 10, "trials listed: " + trials.keySet());
        Map<String, Long> counted = new LinkedHashMap<>();   // the network's arguments (no batch size) -> count
        List<String> differ = new ArrayList<>();
        for (Map.Entry<String, String[]> t : trials.entrySet()) {
            List<String> args = Arrays.asList(t.getValue()[1].split(" "));
            TrialSpec spec = TrainCommand.spec(Overrides.apply(ConfigFactory.parseResources("gnsweep/train-defaults.conf"),
                    args));
            String network = args.stream().filter(a -> !a.startsWith("batch-size=") && !a.startsWith("dataset.")
                    && !a.startsWith("lr=")).reduce("", (a, b) -> a + " " + b);
            long gnsweep = counted.computeIfAbsent(network, k -> Trainer.network(spec, blank(spec)).numParams());
            long torch = Long.parseLong(t.getValue()[0]);
            if (gnsweep != torch) {
                differ.add(t.getKey() + ": gnsweep " + gnsweep + ", PyTorch " + torch);
            }
        }
        assertTrue(differ.isEmpty(), "parameter counts differ: " + differ);
    }

    /** Zero images of the model's input size, as many as one batch: enough to build the trial's network. */
    private static ImageDataset blank(TrialSpec spec) {
        int size = spec.model().inputSize();
        int n = spec.batchSize();
        return new ImageDataset("blank", new float[n * size * size], new int[n], 1, size, size, 10);
    }

    private record Result(int exit, String out) {}

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }
}
