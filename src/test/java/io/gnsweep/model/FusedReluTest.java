package io.gnsweep.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.layer.AddRelu;
import io.gnsweep.layer.BatchNorm;
import io.gnsweep.layer.GroupNormalization;
import io.gnsweep.layer.Relu;
import io.gnsweep.runtime.NativeSetup;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Networks with the ReLU after each norm fused into the norm layer, and a ResNet's residual add and the ReLU after
 * it as one {@link AddRelu} vertex, train exactly as the same networks with ReLU layers of their own
 * ({@link NetworkFactory#FUSED_RELU_PROPERTY} = false): the same initial parameters, and after several steps the
 * same parameters (BatchNorm's running statistics included), training scores and inference outputs, bit for bit.
 */
class FusedReluTest {
    @BeforeAll
    static void init() {
        NativeSetup.init();
    }

    @Test
    void smallCnnTrainsTheSameWithFusedRelu() {
        // 28x28 and 14x14 maps: channel rows of 784 and 196 values, the second not a multiple of a vector
        for (NormKind k : new NormKind[] {NormKind.GROUP, NormKind.BATCH, NormKind.LAYER, NormKind.INSTANCE}) {
            sameTraining(spec(Model.SMALL_CNN, k, 4, 0.25, 28), 4, 5, k.id());
        }
    }

    @Test
    void aFullWidthSmallCnnTrainsTheSameForManySteps() {
        // train's defaults (G = 8, Adam at 2.5e-4) at batch 32: 30 steps with every mask and tie a trial meets
        sameTraining(new NetworkFactory.NetworkSpec(Model.SMALL_CNN, NormKind.GROUP, 8, 1.0, 1, 28, 28, 10, 2.5e-4, 1),
                30, 32, "small-cnn w1 group");
    }

    @Test
    void vggCifarTrainsTheSameWithFusedRelu() {
        sameTraining(spec(Model.VGG_CIFAR, NormKind.GROUP, 4, 0.125, 32), 3, 5, "vgg group");
        sameTraining(spec(Model.VGG_CIFAR, NormKind.BATCH, 4, 0.125, 32), 3, 5, "vgg batch");
    }

    @Test
    void resNetTrainsTheSameWithFusedRelu() {
        for (NormKind k : new NormKind[] {NormKind.GROUP, NormKind.BATCH, NormKind.NONE}) {
            NetworkFactory.NetworkSpec s = new NetworkFactory.NetworkSpec(Model.RESNET, k, 2, 0.25, 1, 32, 32, 10,
                    0.05, 3, 8, true, new io.gnsweep.optim.SgdMomentum(0.05, null, 0.9, false), 5e-4);
            sameTraining(s, 4, 5, "resnet " + k.id());
        }
    }

    @Test
    void theUnfusedNetworkHasAReluLayerAfterEachNormAndTheFusedOneNone() {
        NetworkFactory.NetworkSpec s = spec(Model.SMALL_CNN, NormKind.GROUP, 4, 0.25, 28);
        Net fused = NetworkFactory.create(s);
        Net unfused = unfused(s);
        assertEquals(fused.numParams(), unfused.numParams());
        long fusedRelus = layers(fused).stream().filter(l -> l.conf().getLayer() instanceof Relu).count();
        long unfusedRelus = layers(unfused).stream().filter(l -> l.conf().getLayer() instanceof Relu).count();
        assertEquals(0, fusedRelus);
        assertEquals(4, unfusedRelus);
        for (Layer l : layers(fused)) {
            if (l.conf().getLayer() instanceof GroupNormalization g) {
                assertTrue(g.isRelu(), l.conf().getLayer().getLayerName());
            }
        }
        // a ResNet: the stem's and each block's first norm fuse their ReLU, the residual add and its ReLU are one
        // AddRelu vertex; without a norm the add still fuses its ReLU
        for (NormKind k : new NormKind[] {NormKind.BATCH, NormKind.NONE}) {
            NetworkFactory.NetworkSpec r = new NetworkFactory.NetworkSpec(Model.RESNET, k, 2, 0.25, 1, 32, 32, 10,
                    0.05, 3);
            ComputationGraph g = (ComputationGraph) NetworkFactory.create(r).dl4j();
            ComputationGraph u = (ComputationGraph) unfused(r).dl4j();
            assertTrue(g.getConfiguration().getVertices().get("s1b1-relu") instanceof AddRelu, k.id());
            assertFalse(g.getConfiguration().getVertices().containsKey("s1b1-add"), k.id());
            assertTrue(u.getLayer("s1b1-relu").conf().getLayer() instanceof Relu, k.id());
            assertTrue(u.getConfiguration().getVertices().get("s1b1-add") instanceof ElementWiseVertex, k.id());
            if (k == NormKind.BATCH) {
                assertTrue(((BatchNorm) g.getLayer("stem-batch").conf().getLayer()).isRelu());
                assertTrue(((BatchNorm) g.getLayer("s1b1-conv1-batch").conf().getLayer()).isRelu());
                assertFalse(((BatchNorm) g.getLayer("s1b1-conv2-batch").conf().getLayer()).isRelu());
                assertFalse(((BatchNorm) u.getLayer("stem-batch").conf().getLayer()).isRelu());
            }
        }
    }

    private static NetworkFactory.NetworkSpec spec(Model m, NormKind k, int groups, double width, int size) {
        return new NetworkFactory.NetworkSpec(m, k, groups, width, 1, size, size, 10, 1e-3, 7);
    }

    private static Net unfused(NetworkFactory.NetworkSpec s) {
        System.setProperty(NetworkFactory.FUSED_RELU_PROPERTY, "false");
        try {
            return NetworkFactory.create(s);
        } finally {
            System.clearProperty(NetworkFactory.FUSED_RELU_PROPERTY);
        }
    }

    /** Steps of random images (a background of -1 as in Fashion-MNIST's, else uniform in (0.3, 1)). */
    private static void sameTraining(NetworkFactory.NetworkSpec s, int steps, int batch, String what) {
        Net fused = NetworkFactory.create(s);
        Net unfused = unfused(s);
        try {
            compareTraining(fused, unfused, s, steps, batch, what);
        } finally { // their oneDNN plans now, not at a GC during a later test that counts plans (TrainerTest)
            fused.release();
            unfused.release();
        }
    }

    private static void compareTraining(Net fused, Net unfused, NetworkFactory.NetworkSpec s, int steps, int batch,
            String what) {
        assertTrue(layers(fused).size() < layers(unfused).size(), what + ": the fused network has fewer layers");
        assertBitsEqual(params(unfused), params(fused), what + ": initial parameters");
        Nd4j.getRandom().setSeed(11);
        int size = s.height();
        for (int step = 0; step < steps; step++) {
            INDArray x = Nd4j.rand(DataType.FLOAT, batch, 1, size, size).muli(2).subi(1);
            x = x.muli(x.gt(0.3).castTo(DataType.FLOAT)).addi(x.lte(0.3).castTo(DataType.FLOAT).muli(-1));
            INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 10);
            for (int i = 0; i < batch; i++) {
                y.putScalar(i, (i * 3 + step) % 10, 1f);
            }
            unfused.fit(x, y);
            fused.fit(x, y);
            assertEquals(unfused.score(), fused.score(), 0.0, what + ": score of step " + step);
            assertBitsEqual(params(unfused), params(fused), what + ": parameters after step " + step);
        }
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 1, size, size);
        assertBitsEqual(unfused.output(x), fused.output(x), what + ": inference outputs");
        assertBitsEqual(unfused.outputTraining(x), fused.outputTraining(x), what + ": training-mode outputs");
    }

    /**
     * Every parameter: a plain network's flattened array (its keys carry layer indices, which the fused network's
     * missing ReLU layers shift), a graph's arrays by name (its flattened order follows the vertices' order).
     */
    private static INDArray params(Net n) {
        if (n.dl4j() instanceof MultiLayerNetwork m) {
            return m.params();
        }
        List<INDArray> out = new ArrayList<>();
        new java.util.TreeMap<>(n.paramTable()).values().forEach(a -> out.add(a.reshape(a.length())));
        return Nd4j.concat(0, out.toArray(new INDArray[0]));
    }

    private static List<Layer> layers(Net n) {
        Layer[] ls = n.dl4j() instanceof ComputationGraph g ? g.getLayers() : ((MultiLayerNetwork) n.dl4j()).getLayers();
        return new ArrayList<>(List.of(ls));
    }

    private static void assertBitsEqual(INDArray expected, INDArray actual, String what) {
        float[] e = expected.castTo(DataType.FLOAT).data().asFloat();
        float[] a = actual.castTo(DataType.FLOAT).data().asFloat();
        assertEquals(e.length, a.length, what);
        int[] eb = new int[e.length];
        int[] ab = new int[a.length];
        for (int i = 0; i < e.length; i++) {
            eb[i] = Float.floatToRawIntBits(e[i]);
            ab[i] = Float.floatToRawIntBits(a[i]);
        }
        assertArrayEquals(eb, ab, what);
    }
}
