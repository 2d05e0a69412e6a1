package io.gnsweep.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.model.Model;
import io.gnsweep.model.NetworkFactory;
import io.gnsweep.model.NetworkFactory.NetworkSpec;
import io.gnsweep.model.NormKind;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/** FusedL2 against DL4J's L2Regularization: the step bit for bit (float, double, both sides of the threading
 * size, a schedule), the score (0.5·c·Σw² in double; DL4J's to float rounding), the fallback, JSON, and the weight decay gnsweep's networks use. */
class FusedL2Test {
    private static final String PROPERTY = "gnsweep.layer.nativeKernels";

    @BeforeAll
    static void init() {
        io.gnsweep.runtime.NativeSetup.init();
    }

    @AfterEach
    void defaults() {
        System.clearProperty(PROPERTY);
    }

    private static INDArray apply(Regularization r, INDArray w, INDArray g, int iteration) {
        INDArray out = g.dup();
        r.apply(w, out, 0.1, iteration, 0);
        return out;
    }

    @Test
    void stepsAsDl4jsL2BitForBit() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int n : new int[] {1, 7, 1000, 70_001}) {
                Nd4j.getRandom().setSeed(n);
                INDArray w = Nd4j.randn(DataType.DOUBLE, 1, n).muli(3).castTo(type);
                INDArray g = Nd4j.randn(DataType.DOUBLE, 1, n).muli(1e-3).castTo(type);
                for (Regularization[] pair : new Regularization[][] {
                    {new L2Regularization(5e-4), new FusedL2(5e-4)},
                    {new L2Regularization(new ExponentialSchedule(ScheduleType.ITERATION, 1e-3, 0.9)),
                        new FusedL2(new ExponentialSchedule(ScheduleType.ITERATION, 1e-3, 0.9))}}) {
                    for (int it : new int[] {0, 5}) {
                        INDArray want = apply(pair[0], w, g, it);
                        INDArray got = apply(pair[1], w, g, it);
                        assertNotEquals(g, want, "the step changes the gradient");
                        assertArrayEquals(want.dup().data().asBytes(), got.dup().data().asBytes(),
                                type + " n=" + n + " " + pair[0] + " iteration " + it);
                        // the score: 0.5·c·Σw², summed in double (DL4J's norm2 sums a float array in float)
                        double exact = 0;
                        for (double x : w.toDoubleVector()) {
                            exact += x * x;
                        }
                        exact *= 0.5 * ((L2Regularization) pair[0]).getL2().valueAt(it, 0);
                        double score = pair[1].score(w, it, 0);
                        assertEquals(exact, score, 1e-12 * exact, "score, n=" + n);
                        assertEquals(pair[0].score(w, it, 0), score, (type == DataType.FLOAT ? 1e-5 : 1e-12) * exact,
                                "DL4J's score, n=" + n);
                        assertEquals(score, pair[1].score(w, it, 0), 0.0, "the same bits again");
                    }
                }
            }
        }
    }

    @Test
    void withTheKernelsOffItRunsDl4jsOpAndAWrongStepWouldShow() {
        INDArray w = Nd4j.rand(DataType.FLOAT, 1, 100);
        INDArray g = Nd4j.rand(DataType.FLOAT, 1, 100);
        INDArray fused = apply(new FusedL2(1e-2), w, g, 0);
        System.setProperty(PROPERTY, "false");
        INDArray viaOp = apply(new FusedL2(1e-2), w, g, 0);
        assertArrayEquals(fused.data().asFloat(), viaOp.data().asFloat(), 0f);
        // g + c·w itself, not a no-op
        INDArray direct = g.add(w.mul(1e-2f));
        assertArrayEquals(direct.data().asFloat(), fused.data().asFloat(), 1e-7f);
        // the score falls back to DL4J's too
        assertEquals(new L2Regularization(1e-2).score(w, 0, 0), new FusedL2(1e-2).score(w, 0, 0), 0.0);
    }

    @Test
    void roundTripsThroughJsonAndEqualsOnlyItself() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).regularization(List.of(new FusedL2(1e-4))).build())
                .layer(new OutputLayer.Builder().nIn(4).nOut(2).build()).build();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        Regularization r = ((DenseLayer) back.getConf(0).getLayer()).getRegularization().get(0);
        assertInstanceOf(FusedL2.class, r);
        assertEquals(new FusedL2(1e-4), r);
        assertNotEquals(new L2Regularization(1e-4), r);
        assertNotEquals(new FusedL2(2e-4), r);
        assertInstanceOf(FusedL2.class, r.clone());
    }

    @Test
    void gnsweepsWeightDecayIsFusedL2OnWeightsOnly() {
        var net = NetworkFactory.create(new NetworkSpec(Model.SMALL_CNN, NormKind.GROUP, 8, 1.0, 1, 28, 28, 10, 1e-3,
                1, Model.DEFAULT_DEPTH, false, null, 5e-4));
        boolean any = false;
        for (var l : ((org.deeplearning4j.nn.multilayer.MultiLayerNetwork) net.dl4j()).getLayers()) {
            var c = l.conf().getLayer();
            if (c instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b && !b.getRegularization().isEmpty()) {
                assertInstanceOf(FusedL2.class, b.getRegularization().get(0));
                assertTrue(b.getRegularizationBias().isEmpty());
                any = true;
            }
        }
        assertTrue(any, "some layer carries the weight decay");
    }
}
