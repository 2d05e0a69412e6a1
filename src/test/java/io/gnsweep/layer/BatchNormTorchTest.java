package io.gnsweep.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gnsweep.runtime.NativeSetup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * gnsweep's BatchNorm against PyTorch's {@code torch.nn.functional.batch_norm} ({@code jobs/torch_batchnorm_check.py},
 * run with /usr/bin/python3): training-mode y, dx, dγ, dβ, the running mean and variance after fitting several
 * batches (DL4J keeps the biased batch variance, PyTorch the unbiased one: the script accounts for it exactly),
 * and the inference output from them; float64 and float32, conv and dense input, useLogStd on and off.
 * Skipped, with the reason, where /usr/bin/python3 cannot import torch.
 */
class BatchNormTorchTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final int BATCHES = 4;

    @BeforeAll
    static void setUp() {
        NativeSetup.init();
    }

    private record Case(String name, long[] shape, DataType type, boolean logStd, double mean, double std) {}

    @Test
    void matchesPyTorch(@TempDir Path dir) throws Exception {
        assumeTrue(torchImports(), PYTHON + " cannot import torch and numpy (apt-get install -y python3-torch)");
        List<Case> cases = List.of(
                new Case("conv_4x6x5x3_logstd", new long[] {4, 6, 5, 3}, DataType.DOUBLE, true, 2, 3),
                new Case("conv_2x5x7x7_var", new long[] {2, 5, 7, 7}, DataType.DOUBLE, false, -1, 2),
                new Case("conv_1x4x3x3_logstd", new long[] {1, 4, 3, 3}, DataType.DOUBLE, true, 0.5, 1),
                new Case("dense_6x8_logstd", new long[] {6, 8}, DataType.DOUBLE, true, 1, 2),
                new Case("dense_5x3_var", new long[] {5, 3}, DataType.DOUBLE, false, 0, 1),
                new Case("f32_conv_4x8x6x6_mean1e2", new long[] {4, 8, 6, 6}, DataType.FLOAT, true, 100, 1),
                new Case("f32_dense_7x4_var", new long[] {7, 4}, DataType.FLOAT, false, 1, 3));
        List<String> entries = new ArrayList<>();
        long seed = 100;
        for (Case k : cases) {
            entries.add(write(k, dir, seed++));
        }
        Files.writeString(dir.resolve("manifest.json"), "{\"cases\": [" + String.join(", ", entries) + "]}");
        // float32: the fused kernels round once; DL4J's own float32 code (the ND4J path) loses more at mean 1e2
        double f32 = NativeKernels.use(DataType.FLOAT) ? BatchNormTest.TOL_FLOAT_FUSED : BatchNormTest.TOL_FLOAT_DL4J;
        Process p = new ProcessBuilder(PYTHON.toString(), "jobs/torch_batchnorm_check.py", dir.toString(),
                "--float32-tolerance", Double.toString(f32))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(5, TimeUnit.MINUTES);
        System.out.println("BatchNorm vs PyTorch (" + (NativeKernels.use(DataType.FLOAT) ? "fused" : "ND4J")
                + " path):\n" + out);
        assertEquals(0, p.exitValue(), out);
    }

    private static boolean torchImports() throws IOException, InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch, numpy").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }

    /** Runs the case on our layer and writes its arrays; returns its manifest entry. */
    private static String write(Case k, Path dir, long seed) throws IOException {
        int c = (int) k.shape[1];
        boolean conv = k.shape.length == 4;
        InputType in = conv ? InputType.convolutional(k.shape[2], k.shape[3], c) : InputType.feedForward(c);
        // SGD at rate 0: fit changes only the running statistics (their step is taken in the layer's backward pass,
        // as DL4J's NoOp updater takes it in fit), not γ, β or the output layer
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(k.type).seed(seed)
                .updater(new Sgd(0.0)).list()
                .layer(new BatchNorm.Builder().useLogStd(k.logStd).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).activation(Activation.IDENTITY)
                        .build())
                .setInputType(in).build());
        net.init();
        Layer layer = net.getLayer(0);
        assertInstanceOf(BatchNormLayer.class, layer);
        Random r = new Random(seed);
        INDArray gamma = vector(r, c, 0.5, 1.5, k.type);
        INDArray beta = vector(r, c, -1, 1, k.type);
        layer.getParam("gamma").assign(gamma.reshape(1, c)); // into the network's parameter views
        layer.getParam("beta").assign(beta.reshape(1, c));
        List<INDArray> xs = new ArrayList<>();
        for (int b = 0; b < BATCHES; b++) {
            xs.add(gaussian(r, k.shape, k.mean, k.std, k.type));
        }
        INDArray dy = gaussian(r, k.shape, 0, 1, k.type);
        net.initGradientsView();
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        String stat = k.logStd ? "log10stdev" : "var";
        INDArray mean0 = layer.getParam("mean").dup();
        INDArray stat0 = layer.getParam(stat).dup();
        layer.setInput(xs.get(0), mgr);
        INDArray y = layer.activate(true, mgr).dup();
        INDArray dx = layer.backpropGradient(dy, mgr).getSecond().dup();
        layer.getParam("mean").assign(mean0); // this backward pass took a step of the running statistics: undone,
        layer.getParam(stat).assign(stat0);   // the fits below take the BATCHES steps compared
        INDArray grads = layer.getGradientsViewArray();
        INDArray dGamma = grads.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, c)).dup();
        INDArray dBeta = grads.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(c, 2 * c)).dup();
        for (INDArray x : xs) {
            net.fit(x, gaussian(r, new long[] {k.shape[0], 2}, 0, 1, k.type));
        }
        long[] probeShape = k.shape.clone();
        probeShape[0] = 3;
        INDArray probe = gaussian(r, probeShape, k.mean, k.std, k.type);
        layer.setInput(probe, mgr);
        INDArray yInf = layer.activate(false, mgr).dup();
        String p = k.name + ".";
        for (int b = 0; b < BATCHES; b++) {
            raw(dir.resolve(p + "x" + (b + 1) + ".bin"), xs.get(b));
        }
        raw(dir.resolve(p + "dy.bin"), dy);
        raw(dir.resolve(p + "gamma.bin"), gamma);
        raw(dir.resolve(p + "beta.bin"), beta);
        raw(dir.resolve(p + "y.bin"), y);
        raw(dir.resolve(p + "dx.bin"), dx);
        raw(dir.resolve(p + "dgamma.bin"), dGamma);
        raw(dir.resolve(p + "dbeta.bin"), dBeta);
        raw(dir.resolve(p + "run_mean.bin"), layer.getParam("mean"));
        raw(dir.resolve(p + "run_stat.bin"), layer.getParam(k.logStd ? "log10stdev" : "var"));
        raw(dir.resolve(p + "probe.bin"), probe);
        raw(dir.resolve(p + "y_inference.bin"), yInf);
        return String.format(Locale.ROOT, "{\"name\": \"%s\", \"shape\": %s, \"probe_shape\": %s, \"dtype\": \"%s\", "
                + "\"log_std\": %s, \"eps\": %s, \"batches\": %d}", k.name, json(k.shape), json(probeShape),
                k.type == DataType.DOUBLE ? "float64" : "float32", k.logStd, 1e-5, BATCHES);
    }

    private static INDArray vector(Random r, int c, double lo, double hi, DataType type) {
        return Nd4j.create(BatchNormTest.randoms(r, c, lo, hi)).castTo(type);
    }

    private static INDArray gaussian(Random r, long[] shape, double mean, double std, DataType type) {
        long len = 1;
        for (long s : shape) {
            len *= s;
        }
        double[] v = new double[(int) len];
        for (int i = 0; i < v.length; i++) {
            v[i] = mean + std * r.nextGaussian();
        }
        return Nd4j.create(v, shape, 'c').castTo(type);
    }

    private static String json(long[] shape) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return s.append(']').toString();
    }

    /** The array's values in C order, little-endian, in its own type. */
    private static void raw(Path file, INDArray a) throws IOException {
        INDArray c = a.dup('c');
        boolean f32 = c.dataType() == DataType.FLOAT;
        ByteBuffer b = ByteBuffer.allocate((int) c.length() * (f32 ? 4 : 8)).order(ByteOrder.LITTLE_ENDIAN);
        if (f32) {
            for (float v : c.data().asFloat()) {
                b.putFloat(v);
            }
        } else {
            for (double v : c.data().asDouble()) {
                b.putDouble(v);
            }
        }
        Files.write(file, b.array());
    }
}
