package io.gnsweep.layer;

import io.gnsweep.runtime.NativeSetup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes test vectors for an independent cross-check of the GroupNorm layer against PyTorch's
 * {@code torch.nn.functional.group_norm} ({@code jobs/torch_groupnorm_check.py}): for each case, the inputs
 * x, γ, β and an upstream gradient dy, and our layer's y (training-mode forward), dx, dγ and dβ
 * ({@code activate(true, ...)} then {@code backpropGradient(dy, ...)}, no workspaces), as little-endian raw
 * binary files plus {@code manifest.json}. Not a JUnit test: a main, run by hand.
 *
 * <pre>
 * mvn -o -q test-compile
 * java -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" io.gnsweep.layer.TorchVectors [OUT_DIR]
 * </pre>
 * OUT_DIR defaults to {@code .devcheck/vectors}.
 */
public final class TorchVectors {
    private TorchVectors() {}

    /** One case: input shape [N, C] or [N, C, H, W], groups, data type, input mean and spread. */
    private record Case(String name, long[] shape, int groups, DataType type, double mean, double std, long seed) {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : ".devcheck/vectors");
        Files.createDirectories(out);
        NativeSetup.init();
        List<Case> cases = List.of(
                new Case("conv_4x8x5x3_g2", new long[] {4, 8, 5, 3}, 2, DataType.DOUBLE, 2, 3, 101),
                new Case("conv_2x16x7x7_g4", new long[] {2, 16, 7, 7}, 4, DataType.DOUBLE, -1, 2, 102),
                new Case("conv_3x6x4x4_g6_instance", new long[] {3, 6, 4, 4}, 6, DataType.DOUBLE, 0.5, 1, 103),
                new Case("conv_2x6x3x5_g1_layer", new long[] {2, 6, 3, 5}, 1, DataType.DOUBLE, 3, 0.5, 104),
                new Case("dense_5x12_g3", new long[] {5, 12}, 3, DataType.DOUBLE, 1, 2, 105),
                new Case("f32_conv_2x8x6x6_g2_mean1e3", new long[] {2, 8, 6, 6}, 2, DataType.FLOAT, 1e3, 1, 106));
        List<String> entries = new ArrayList<>();
        for (Case k : cases) {
            entries.add(write(k, out));
            System.out.println("wrote " + k.name());
        }
        String manifest = "{\n  \"format\": \"little-endian raw, C order; dtype per case; files <case>.<array>.bin\",\n"
                + "  \"layer\": \"io.gnsweep.layer.GroupNormalization, activate(true) + backpropGradient, no workspaces\",\n"
                + "  \"nd4j_backend\": \"" + Nd4j.getBackend().getClass().getSimpleName() + "\",\n"
                + "  \"cases\": [\n" + String.join(",\n", entries) + "\n  ]\n}\n";
        Files.writeString(out.resolve("manifest.json"), manifest, StandardCharsets.UTF_8);
        System.out.println("wrote " + out.resolve("manifest.json"));
    }

    private static String write(Case k, Path out) throws IOException {
        int c = (int) k.shape()[1];
        InputType in = k.shape().length == 4
                ? InputType.convolutional(k.shape()[2], k.shape()[3], c) : InputType.feedForward(c);
        GroupNormalization conf = new GroupNormalization.Builder().groups(k.groups()).build();
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(k.type())
                .seed(k.seed()).list().layer(conf).setInputType(in).build());
        net.init();
        net.initGradientsView(); // the gradient views backpropGradient writes into (fit() sets them up)
        Layer layer = net.getLayer(0);
        Random r = new Random(k.seed());
        layer.setParam("gamma", array(uniform(r, c, 0.5, 1.5), new long[] {c}, k.type()));
        layer.setParam("beta", array(uniform(r, c, -1, 1), new long[] {c}, k.type()));
        int len = 1;
        for (long s : k.shape()) {
            len *= (int) s;
        }
        double[] xv = new double[len];
        double[] dyv = new double[len];
        for (int i = 0; i < len; i++) {
            xv[i] = k.mean() + k.std() * r.nextGaussian();
            dyv[i] = r.nextGaussian();
        }
        INDArray x = array(xv, k.shape(), k.type());
        INDArray dy = array(dyv, k.shape(), k.type());
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(x, mgr);
        INDArray y = layer.activate(true, mgr).dup('c');
        Pair<Gradient, INDArray> back = layer.backpropGradient(dy, mgr);
        INDArray dx = back.getSecond().dup('c');
        INDArray dGamma = back.getFirst().getGradientFor("gamma").dup('c');
        INDArray dBeta = back.getFirst().getGradientFor("beta").dup('c');

        String[] names = {"x", "gamma", "beta", "dy", "y", "dx", "dgamma", "dbeta"};
        INDArray[] arrays = {x, layer.getParam("gamma"), layer.getParam("beta"), dy, y, dx, dGamma, dBeta};
        for (int i = 0; i < names.length; i++) {
            if (arrays[i].dataType() != k.type()) {
                throw new IllegalStateException(k.name() + ": " + names[i] + " is " + arrays[i].dataType());
            }
            if (arrays[i].length() != (i < 1 || i == 3 || i == 4 || i == 5 ? len : c)) {
                throw new IllegalStateException(k.name() + ": " + names[i] + " has length " + arrays[i].length());
            }
            raw(arrays[i], out.resolve(k.name() + "." + names[i] + ".bin"));
        }
        StringBuilder shape = new StringBuilder();
        for (long s : k.shape()) {
            shape.append(shape.length() == 0 ? "" : ", ").append(s);
        }
        return String.format(Locale.ROOT, "    {\"name\": \"%s\", \"shape\": [%s], \"groups\": %d, \"eps\": %s, "
                + "\"dtype\": \"%s\", \"x_mean\": %s, \"x_std\": %s}", k.name(), shape, k.groups(),
                Double.toString(conf.getEps()), k.type() == DataType.DOUBLE ? "float64" : "float32",
                Double.toString(k.mean()), Double.toString(k.std()));
    }

    private static double[] uniform(Random r, int len, double lo, double hi) {
        double[] v = new double[len];
        for (int i = 0; i < len; i++) {
            v[i] = lo + (hi - lo) * r.nextDouble();
        }
        return v;
    }

    private static INDArray array(double[] v, long[] shape, DataType type) {
        return Nd4j.create(v, shape, 'c').castTo(type);
    }

    /** The array's values in C order, little-endian, in its own data type (float64 or float32). */
    private static void raw(INDArray a, Path file) {
        INDArray c = a.dup('c');
        ByteBuffer buf;
        if (a.dataType() == DataType.DOUBLE) {
            double[] v = c.data().asDouble();
            buf = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            buf.asDoubleBuffer().put(v);
        } else {
            float[] v = c.data().asFloat();
            buf = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(v);
        }
        try {
            Files.write(file, buf.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
