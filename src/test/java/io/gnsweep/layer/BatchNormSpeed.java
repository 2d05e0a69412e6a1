package io.gnsweep.layer;

import io.gnsweep.model.Model;
import io.gnsweep.model.NetworkFactory;
import io.gnsweep.model.NormKind;
import io.gnsweep.runtime.NativeSetup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Before / after of gnsweep's BatchNorm, side by side in one JVM, rounds interleaved, medians: (1) the layer alone,
 * forward + backward in a reused workspace, float32: DL4J's BatchNormalization (its oneDNN helper), gnsweep's
 * BatchNorm (fused kernels) and GroupNorm G = 8 (fused kernels); (2) training images/s of small-cnn (width 1) and
 * vgg-cifar (width 0.25) at batch 4 and 32: norm = batch with DL4J's layer (the same network with DL4J's class in
 * its configuration), norm = batch with gnsweep's, norm = group. Not a JUnit test: a main, run by hand with one
 * native thread (as a Spark task gets):
 *
 * <pre>
 * mvn -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * OMP_NUM_THREADS=1 java -cp "target/test-classes:target/classes:$(cat target/cp.txt)" io.gnsweep.layer.BatchNormSpeed
 * </pre>
 */
public final class BatchNormSpeed {
    private static final int ROUNDS = Integer.getInteger("rounds", 7);
    private static final double ROUND_SECONDS = Double.parseDouble(System.getProperty("roundSeconds", "1.0"));

    private BatchNormSpeed() {}

    public static void main(String[] args) {
        NativeSetup.init();
        Nd4j.getEnvironment().setMaxMasterThreads(1);
        layers();
        training();
    }

    private interface Step {
        void run();
    }

    /** Median seconds per step of each variant over interleaved rounds. */
    private static Map<String, Double> race(Map<String, Step> variants, int warmup) {
        Map<String, List<Double>> times = new LinkedHashMap<>();
        variants.forEach((k, v) -> {
            for (int i = 0; i < warmup; i++) {
                v.run();
            }
            times.put(k, new ArrayList<>());
        });
        for (int r = 0; r < ROUNDS; r++) {
            for (Map.Entry<String, Step> e : variants.entrySet()) {
                long start = System.nanoTime();
                long end = start + (long) (ROUND_SECONDS * 1e9);
                int n = 0;
                long now;
                do {
                    e.getValue().run();
                    n++;
                    now = System.nanoTime();
                } while (now < end);
                times.get(e.getKey()).add((now - start) / 1e9 / n);
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        times.forEach((k, v) -> {
            double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            out.put(k, a[a.length / 2]);
        });
        return out;
    }

    private static void layers() {
        long[][] shapes = {{32, 64, 32, 32}, {8, 256, 8, 8}, {64, 32, 28, 28}, {4, 32, 16, 16}};
        for (long[] shape : shapes) {
            int c = (int) shape[1];
            Map<String, Step> v = new LinkedHashMap<>();
            v.put("dl4j-bn", layerStep(new BatchNormalization.Builder().build(), shape));
            v.put("gnsweep-bn", layerStep(new BatchNorm.Builder().build(), shape));
            v.put("gn-g8", layerStep(new GroupNormalization.Builder().groups(Math.min(8, c)).build(), shape));
            Map<String, Double> t = race(v, 20);
            System.out.printf(Locale.ROOT, "layer %s fwd+bwd ms: dl4j-bn %.3f  gnsweep-bn %.3f  gn-g8 %.3f   "
                    + "dl4j/gnsweep %.2fx  gnsweep-bn/gn %.2f%n", Arrays.toString(shape), 1e3 * t.get("dl4j-bn"),
                    1e3 * t.get("gnsweep-bn"), 1e3 * t.get("gn-g8"), t.get("dl4j-bn") / t.get("gnsweep-bn"),
                    t.get("gnsweep-bn") / t.get("gn-g8"));
        }
    }

    private static Step layerStep(org.deeplearning4j.nn.conf.layers.Layer conf, long[] shape) {
        MultiLayerConfiguration mlc = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list().layer(conf)
                .setInputType(InputType.convolutional(shape[2], shape[3], shape[1])).build();
        MultiLayerNetwork net = new MultiLayerNetwork(mlc);
        net.init();
        net.initGradientsView();
        Layer layer = net.getLayer(0);
        INDArray x = Nd4j.rand(DataType.FLOAT, shape).muli(3).addi(1);
        INDArray eps = Nd4j.rand(DataType.FLOAT, shape).subi(0.5);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.builder().defaultWorkspace("BN_SPEED_" + conf.getClass().getSimpleName()
                + Arrays.toString(shape), WorkspaceConfiguration.builder().policyLearning(LearningPolicy.FIRST_LOOP)
                .policyAllocation(AllocationPolicy.OVERALLOCATE).overallocationLimit(0.05)
                .policySpill(SpillPolicy.REALLOCATE).policyReset(ResetPolicy.BLOCK_LEFT).build()).build();
        return () -> {
            try (MemoryWorkspace ws = mgr.notifyScopeEntered(ArrayType.ACTIVATIONS)) {
                layer.setInput(x, mgr);
                layer.activate(true, mgr);
                layer.backpropGradient(eps, mgr);
            }
        };
    }

    private static void training() {
        // ReLU layers of their own: DL4J's BatchNormalization, swapped in below, has no fused ReLU
        System.setProperty(NetworkFactory.FUSED_RELU_PROPERTY, "false");
        Object[][] configs = {{Model.SMALL_CNN, 1.0, 4}, {Model.SMALL_CNN, 1.0, 32}, {Model.VGG_CIFAR, 0.25, 4},
            {Model.VGG_CIFAR, 0.25, 32}};
        for (Object[] cfg : configs) {
            Model model = (Model) cfg[0];
            double width = (Double) cfg[1];
            int batch = (Integer) cfg[2];
            int size = model == Model.SMALL_CNN ? 28 : 32;
            int channels = model == Model.SMALL_CNN ? 1 : 3;
            MultiLayerNetwork ours = NetworkFactory.build(new NetworkFactory.NetworkSpec(model, NormKind.BATCH, 8, width,
                    channels, size, size, 10, 1e-3, 1));
            // the same network with DL4J's own layer class in its configuration: what norm = batch ran before
            String json = ours.getLayerWiseConfigurations().toJson().replace("\"io.gnsweep.layer.BatchNorm\"",
                    "\"org.deeplearning4j.nn.conf.layers.BatchNormalization\"");
            MultiLayerNetwork dl4j = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(json));
            dl4j.init(ours.params().dup(), true);
            if (dl4j.getLayer(1) instanceof BatchNormLayer || !(ours.getLayer(1) instanceof BatchNormLayer)) {
                throw new IllegalStateException("variants not as intended: " + dl4j.getLayer(1) + ", " + ours.getLayer(1));
            }
            MultiLayerNetwork group = NetworkFactory.build(new NetworkFactory.NetworkSpec(model, NormKind.GROUP, 8, width,
                    channels, size, size, 10, 1e-3, 1));
            INDArray x = Nd4j.rand(DataType.FLOAT, batch, channels, size, size);
            INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 10);
            for (int i = 0; i < batch; i++) {
                y.putScalar(i, i % 10, 1);
            }
            Map<String, Step> v = new LinkedHashMap<>();
            v.put("batch-dl4j", () -> dl4j.fit(x, y));
            v.put("batch-gnsweep", () -> ours.fit(x, y));
            v.put("group", () -> group.fit(x, y));
            Map<String, Double> t = race(v, 100);
            double bd = batch / t.get("batch-dl4j");
            double bg = batch / t.get("batch-gnsweep");
            double g = batch / t.get("group");
            System.out.printf(Locale.ROOT, "train %s w%s bs%d images/s: batch-dl4j %.0f  batch-gnsweep %.0f  group %.0f"
                    + "   gnsweep/dl4j %.2fx  group/batch before %.2f after %.2f%n", model.id(), width, batch, bd, bg, g,
                    bg / bd, g / bd, g / bg);
        }
    }
}
