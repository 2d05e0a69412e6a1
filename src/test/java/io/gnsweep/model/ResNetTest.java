package io.gnsweep.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.layer.GroupNormalization;
import io.gnsweep.runtime.NativeSetup;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.ops.transforms.Transforms;

/** He et al.'s CIFAR ResNet as built by {@link ResNet}: size, shape, initialisation and gradients. */
class ResNetTest {
    @BeforeAll
    static void init() {
        NativeSetup.init();
    }

    static ComputationGraph graph(NormKind norm, int groups, int depth, double width, int channels, int size,
                                  boolean zeroInit, org.nd4j.linalg.learning.config.IUpdater updater, double wd) {
        return (ComputationGraph) NetworkFactory.create(new NetworkFactory.NetworkSpec(Model.RESNET, norm, groups,
                width, channels, size, size, 10, 0.1, 3, depth, zeroInit, updater, wd)).dl4j();
    }

    /**
     * Trainable parameters of a CIFAR ResNet counted from its definition: 3x3 convolutions without bias, 2C per
     * norm, the 1x1 projections of stages 2 and 3 with their norms, a dense layer of 64 -> 10 with bias.
     */
    private static long expectedParams(int depth, boolean projections) {
        int n = (depth - 2) / 6;
        long p = 3 * 16 * 9 + 2 * 16;                              // stem conv + norm
        int in = 16;
        for (int c : new int[] {16, 32, 64}) {
            for (int b = 0; b < n; b++) {
                p += (long) in * c * 9 + 2 * c + (long) c * c * 9 + 2 * c;
                if (projections && in != c) {
                    p += (long) in * c + 2 * c;
                }
                in = c;
            }
        }
        return p + 64 * 10 + 10;
    }

    @Test
    void resnet20And56HaveThePublishedSizesPlusTheirTwoProjections() {
        for (int depth : new int[] {20, 56}) {
            long count = graph(NormKind.GROUP, 8, depth, 1.0, 3, 32, true, null, 0).numParams();
            assertEquals(expectedParams(depth, true), count, "ResNet-" + depth);
            // without the projections (option A, parameter-free shortcuts) the count is He et al.'s: 0.27M / 0.85M
            double optionA = expectedParams(depth, false) / 1e6;
            assertEquals(depth == 20 ? 0.27 : 0.85, optionA, 0.005, "ResNet-" + depth + " option A");
            assertEquals(2 * (16 * 32 + 2 * 32) + 2 * (32 * 64 + 2 * 64) - (16 * 32 + 2 * 32) - (32 * 64 + 2 * 64),
                    count - expectedParams(depth, false));
        }
        assertEquals(272_474, expectedParams(20, true));
    }

    @Test
    void stagesHalveTheSizeAndDoubleTheChannels() {
        ComputationGraph g = graph(NormKind.BATCH, 0, 20, 0.5, 1, 32, true, null, 0);
        Map<String, INDArray> acts = g.feedForward(Nd4j.rand(DataType.FLOAT, 2, 1, 32, 32), false);
        assertEquals(List.of(2L, 8L, 32L, 32L), List.of(box(acts.get("s1b3-relu").shape())));
        assertEquals(List.of(2L, 16L, 16L, 16L), List.of(box(acts.get("s2b1-relu").shape())));
        assertEquals(List.of(2L, 32L, 8L, 8L), List.of(box(acts.get("s3b3-relu").shape())));
        assertEquals(List.of(2L, 10L), List.of(box(g.output(Nd4j.rand(DataType.FLOAT, 2, 1, 32, 32))[0].shape())));
        assertInstanceOf(BatchNormalization.class, g.getLayer("s2b1-proj-batch").conf().getLayer());
        assertInstanceOf(io.gnsweep.layer.BatchNormLayer.class, g.getLayer("s2b1-proj-batch"));
        assertEquals(20, countConvolutions(g) - 2, "18 block convolutions + stem + output = depth, plus 2 projections");
    }

    private static int countConvolutions(ComputationGraph g) {
        int n = 0;
        for (var l : g.getLayers()) {
            String type = l.conf().getLayer().getClass().getSimpleName();
            n += type.equals("Conv2D") || type.equals("OutputLayer") ? 1 : 0;
        }
        return n;
    }

    private static Long[] box(long[] a) {
        Long[] out = new Long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    @Test
    void everyNormKindBuildsAndGroupsAreCheckedAgainstEveryStage() {
        for (NormKind k : NormKind.values()) {
            ComputationGraph g = graph(k, 4, 8, 0.5, 3, 32, true, null, 0);
            assertEquals(10, g.output(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32))[0].size(1), k.id());
        }
        GroupNormalization in = assertInstanceOf(GroupNormalization.class,
                graph(NormKind.INSTANCE, 0, 8, 1.0, 3, 32, true, null, 0).getLayer("s3b1-conv1-instance").conf().getLayer());
        assertEquals(64, in.getGroups());
        // stage 1 has 16w channels: G = 16 divides 16, 32, 64; G = 32 does not divide stage 1's 16
        assertEquals(List.of(16, 16, 16, 16, 16, 16, 16, 32, 32, 32, 32, 32, 32, 32, 64, 64, 64, 64, 64, 64, 64),
                Model.RESNET.normalisedChannels(1.0, 20));
        assertThrows(IllegalArgumentException.class, () -> graph(NormKind.GROUP, 32, 20, 1.0, 3, 32, true, null, 0));
        assertThrows(IllegalArgumentException.class, () -> ResNet.blocksPerStage(21));
        assertThrows(IllegalArgumentException.class, () -> ResNet.blocksPerStage(2));
        assertEquals(18, ResNet.blocksPerStage(110));
    }

    @Test
    void withZeroInitEveryBlockIsItsShortcutAtInitialisation() {
        for (NormKind k : List.of(NormKind.GROUP, NormKind.BATCH, NormKind.NONE)) {
            ComputationGraph g = graph(k, 4, 20, 0.5, 3, 32, true, null, 0);
            INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3, 32, 32).subi(0.5);
            for (boolean train : new boolean[] {false, true}) {
                Map<String, INDArray> a = g.feedForward(new INDArray[] {x}, train, false);
                String suffix = k == NormKind.NONE ? "" : "-" + k.id();
                // the stem's ReLU: fused into its norm where it has one, else a layer of its own
                String stem = k == NormKind.NONE ? "stem-relu" : "stem" + suffix;
                for (int s = 1; s <= 3; s++) {
                    for (int b = 1; b <= 3; b++) {
                        String name = ResNet.blockName(s, b);
                        String input = b > 1 ? ResNet.blockName(s, b - 1) + "-relu" : s == 1 ? stem
                                : ResNet.blockName(s - 1, 3) + "-relu";
                        INDArray shortcut = s > 1 && b == 1 ? Transforms.relu(a.get(name + "-proj" + suffix), true)
                                : a.get(input);
                        assertEquals(shortcut, a.get(name + "-relu"), k.id() + " " + name + " train=" + train);
                    }
                }
            }
            // and without it the residual branch is not zero
            ComputationGraph plain = graph(k, 4, 20, 0.5, 3, 32, false, null, 0);
            Map<String, INDArray> a = plain.feedForward(x, false);
            assertNotEquals(a.get(k == NormKind.NONE ? "stem-relu" : "stem-" + k.id()), a.get("s1b1-relu"), k.id());
        }
    }

    @Test
    void gradientsThroughResidualBlocksWithGroupNormAndWeightDecayPassDl4jsGradientCheck() {
        DataType before = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            checkGradients();
        } finally {
            Nd4j.setDefaultDataTypes(before, before);
        }
    }

    private static void checkGradients() {
        // GroupNorm (gnsweep's layer) in a ResNet-8 at width 1/8 (2/4/8 channels); every parameter array is
        // checked, 4 entries of each, to keep it to ~10 s on a quiet machine
        for (NormKind k : List.of(NormKind.GROUP)) {
            ComputationGraph g = graph(k, 2, 8, 0.125, 2, 8, false, new NoOp(), 0.01);
            g = g.convertDataType(DataType.DOUBLE);
            Random r = new Random(5);
            INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 2, 8, 8).muli(2).subi(1);
            INDArray y = Nd4j.zeros(DataType.DOUBLE, 3, 10);
            for (int i = 0; i < 3; i++) {
                y.putScalar(i, r.nextInt(10), 1.0);
            }
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                    .inputs(new INDArray[] {x}).labels(new INDArray[] {y}).epsilon(1e-6).maxRelError(1e-3)
                    .minAbsoluteError(1e-8).subset(true).maxPerParam(4)
                    .print(GradientCheckUtil.PrintMode.FAILURES_ONLY).exitOnFirstError(false));
            assertTrue(ok, "gradient check of a ResNet-8 with " + k.id());
        }
    }

    @Test
    void theSeedDecidesTheWeights() {
        INDArray a = graph(NormKind.GROUP, 4, 8, 0.5, 3, 32, true, null, 0).params();
        assertEquals(a, graph(NormKind.GROUP, 4, 8, 0.5, 3, 32, true, null, 0).params());
        ComputationGraph other = (ComputationGraph) NetworkFactory.create(new NetworkFactory.NetworkSpec(Model.RESNET,
                NormKind.GROUP, 4, 0.5, 3, 32, 32, 10, 0.1, 4, 8, true, null, 0)).dl4j();
        assertNotEquals(a, other.params());
    }
}
