package io.gnsweep.bench;

import io.gnsweep.layer.GroupNormalization;
import io.gnsweep.runtime.NativeSetup;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One normalisation layer, forward + backward, the way DL4J trains it: {@code activate(true, mgr)} then
 * {@code backpropGradient(eps, mgr)} inside a workspace that is reused every iteration, as
 * {@code MultiLayerNetwork.fit} does, on a one-layer MultiLayerNetwork built with float32 NCHW input.
 * Without a workspace every iteration would allocate fresh off-heap memory, and on this machine the page
 * faults of fresh memory cost ~3 ms per MB (a new 8 MB array: 26 ms), which swamped both layers' arithmetic
 * in the first version of this benchmark. {@code variant}: {@code bn} (DL4J BatchNormalization, with
 * its oneDNN helper), {@code gN} (gnsweep GroupNorm with G = N) or {@code gC} (G = C, InstanceNorm); a
 * GroupNorm variant with the suffix {@code -nd4j} runs the layer's ND4J path instead of its fused CPU
 * kernels ({@link GroupNormalization#NATIVE_KERNELS_PROPERTY}).
 *
 * <p>Run on its own: {@code java -cp ... org.openjdk.jmh.Main LayerBench -p shape=8x256x8x8 -p variant=bn,g8}.
 * {@link Bench} drives it in interleaved rounds and reports GN/BN ratios.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LayerBench {
    /** N x C x H x W. */
    @Param({"32x64x32x32", "8x256x8x8", "64x32x28x28"})
    public String shape;

    @Param({"bn", "g1", "g8", "g32", "gC"})
    public String variant;

    /** Native threads (ND4J pool and OpenMP of the benchmark thread); < 1 keeps ND4J's default. */
    @Param({"1"})
    public int threads;

    private Layer layer;
    private INDArray x;
    private INDArray eps;
    /** One workspace for every array type, learned on the first iteration and reused after, as in training. */
    private final LayerWorkspaceMgr mgr = reusedWorkspace("LAYER_BENCH");
    /** Whether the layer runs through a DL4J helper (oneDNN for BatchNormalization). */
    public boolean helper;

    @Setup(Level.Trial)
    public void setUp() {
        NativeSetup.init();
        NativeSetup.bindThreads(threads);
        System.setProperty(GroupNormalization.NATIVE_KERNELS_PROPERTY, Boolean.toString(!variant.endsWith(ND4J_PATH)));
        long[] s = parseShape(shape);
        MultiLayerNetwork net = oneLayer(variant, s);
        layer = net.getLayer(0);
        helper = helperOf(layer) != null;
        Nd4j.getRandom().setSeed(42);
        x = Nd4j.randn(DataType.FLOAT, s).muli(2).addi(0.5);
        eps = Nd4j.randn(DataType.FLOAT, s);
        for (int i = 0; i < 2; i++) {
            fwdBwd();
        }
    }

    @Benchmark
    public Object fwdBwd() {
        try (MemoryWorkspace ws = mgr.notifyScopeEntered(ArrayType.ACTIVATIONS)) {
            layer.setInput(x, mgr);
            INDArray y = layer.activate(true, mgr);
            return layer.backpropGradient(eps, mgr).getSecond().getDouble(0) + y.getDouble(0);
        }
    }

    /** Suffix of a GroupNorm variant that runs the layer's ND4J path. */
    public static final String ND4J_PATH = "-nd4j";

    /** A one-layer network around the variant's layer, for input [N, C, H, W]. */
    public static MultiLayerNetwork oneLayer(String variant, long[] s) {
        int c = (int) s[1];
        variant = variant.replace(ND4J_PATH, "");
        org.deeplearning4j.nn.conf.layers.Layer conf;
        if (variant.equals("bn")) {
            conf = new BatchNormalization.Builder().build();
        } else {
            int g = variant.equals("gC") ? c : Integer.parseInt(variant.substring(1));
            conf = new GroupNormalization.Builder().groups(g).build();
        }
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .list().layer(conf).setInputType(InputType.convolutional(s[2], s[3], s[1])).build());
        net.init();
        net.initGradientsView(); // the gradient views backpropGradient writes into (fit() sets them up)
        return net;
    }

    /**
     * A workspace manager that puts every array type in one workspace named {@code name}, sized on the first
     * iteration and reused after; enter it with {@code mgr.notifyScopeEntered(ArrayType.ACTIVATIONS)} around
     * each iteration.
     */
    public static LayerWorkspaceMgr reusedWorkspace(String name) {
        return LayerWorkspaceMgr.builder().defaultWorkspace(name, WorkspaceConfiguration.builder()
                .policyLearning(LearningPolicy.FIRST_LOOP).policyAllocation(AllocationPolicy.OVERALLOCATE)
                .overallocationLimit(0.05).policySpill(SpillPolicy.REALLOCATE).policyReset(ResetPolicy.BLOCK_LEFT)
                .build()).build();
    }

    /** The layer's helper (oneDNN / cuDNN), or null. */
    public static Object helperOf(Layer layer) {
        try {
            return layer.getClass().getMethod("getHelper").invoke(layer);
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    public static long[] parseShape(String shape) {
        String[] p = shape.split("x");
        long[] s = new long[p.length];
        for (int i = 0; i < p.length; i++) {
            s[i] = Long.parseLong(p[i]);
        }
        return s;
    }
}
