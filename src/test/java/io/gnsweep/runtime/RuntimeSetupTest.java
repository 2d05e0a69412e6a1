package io.gnsweep.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gnsweep.model.Model;
import io.gnsweep.model.NetworkFactory;
import io.gnsweep.model.NormKind;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The stack is wired as intended: logging reaches log4j, oneDNN is on and DL4J's layers use it. */
class RuntimeSetupTest {

    @Test
    void slf4jIsBoundToLog4jNotTheNoOpLogger() {
        // nd4j-api's slf4j-api 1.7 would win by depth and silently turn every log call into a no-op
        String factory = LoggerFactory.getILoggerFactory().getClass().getName();
        assertTrue(factory.startsWith("org.apache.logging.slf4j"), factory);
        assertTrue(LoggerFactory.getLogger("io.gnsweep").isInfoEnabled());
    }

    /**
     * ND4J's deallocator service is gnsweep's (the queue chosen without a SecureRandom per buffer), and it still
     * releases: arrays made and dropped are tracked, then gone from it once collected.
     */
    @Test
    void theDeallocatorServiceReleasesWhatItTracks() throws InterruptedException {
        NativeSetup.init();
        DeallocatorQueues service = assertInstanceOf(DeallocatorQueues.class, Nd4j.getDeallocatorService());
        int before = service.tracked();
        for (int i = 0; i < 2000; i++) {
            Nd4j.create(DataType.FLOAT, 16).addi(i); // a buffer (and shape buffers), dropped at once
        }
        assertTrue(service.tracked() >= before + 2000, "registered: " + before + " -> " + service.tracked());
        int made = service.tracked();
        for (int i = 0; i < 100 && service.tracked() > made - 2000; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertTrue(service.tracked() <= made - 2000, "released: " + made + " -> " + service.tracked());
    }

    @Test
    void oneDnnIsOnAndConvolutionAndBatchNormUseIt() {
        NativeSetup.init();
        assertEquals("CPU", NativeSetup.backend());
        assertTrue(NativeSetup.oneDnnEnabled(), "the -onednn build of nd4j-native should load");
        // DL4J disables its helpers when the property is absent (default "true"): it must be set to "false"
        assertEquals("false", System.getProperty(NativeSetup.HELPERS_DISABLE));
        MultiLayerNetwork net = NetworkFactory.build(new NetworkFactory.NetworkSpec(Model.SMALL_CNN, NormKind.BATCH, 0,
                0.25, 1, 28, 28, 10, 1e-3, 1));
        assertNotNull(net.getLayer(0).getHelper(), "convolution has no oneDNN helper");
        // gnsweep's BatchNorm layer runs its own kernels; DL4J's BatchNormalization layer must get oneDNN
        MultiLayerNetwork bn = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
                .layer(new BatchNormalization.Builder().build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).activation(Activation.IDENTITY)
                        .build())
                .setInputType(InputType.convolutionalFlat(4, 4, 3)).build());
        bn.init();
        assertNotNull(bn.getLayer(0).getHelper(), "DL4J's batch norm has no oneDNN helper");
    }

    @Test
    void javaCppsPhysicalMemoryCheckIsOff() {
        NativeSetup.init();
        // set before JavaCPP's Pointer class initialised: otherwise every new ND4J array reads /proc
        assertEquals("0", System.getProperty(NativeSetup.MAX_PHYSICAL_BYTES));
        assertEquals(0, org.bytedeco.javacpp.Pointer.maxPhysicalBytes());
    }

    @Test
    void buildPropertiesAreFilledIn() {
        assertEquals("1.0.0-M2.1", NativeSetup.build().getProperty("dl4j.version"));
        assertTrue(NativeSetup.build().getProperty("spark.version").startsWith("4.1"));
    }
}
