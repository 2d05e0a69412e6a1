package io.gnsweep.layer;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Parameters of a {@link GroupNormalization} layer: {@code gamma} (scale, initialised to 1) then
 * {@code beta} (shift, initialised to 0), C values each, keyed as DL4J's BatchNormalization keys them.
 * Unlike BatchNormalization there are no running statistics.
 */
public final class GroupNormParamInitializer implements ParamInitializer {

    /** Key of the per-channel scale γ. */
    public static final String GAMMA = "gamma";
    /** Key of the per-channel shift β. */
    public static final String BETA = "beta";

    private static final GroupNormParamInitializer INSTANCE = new GroupNormParamInitializer();
    private static final List<String> KEYS = List.of(GAMMA, BETA);

    private GroupNormParamInitializer() {}

    /** The shared, stateless instance. */
    public static GroupNormParamInitializer getInstance() {
        return INSTANCE;
    }

    @Override
    public long numParams(NeuralNetConfiguration conf) {
        return numParams(conf.getLayer());
    }

    @Override
    public long numParams(Layer layer) {
        return 2 * ((GroupNormalization) layer).getNOut();
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        return KEYS;
    }

    @Override
    public List<String> weightKeys(Layer layer) {
        return Collections.emptyList();
    }

    @Override
    public List<String> biasKeys(Layer layer) {
        return Collections.emptyList();
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
        return false;
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
        return false;
    }

    @Override
    public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
        Map<String, INDArray> views = getGradientsFromFlattened(conf, paramsView);
        if (initializeParams) {
            views.get(GAMMA).assign(1.0);
            views.get(BETA).assign(0.0);
        }
        conf.addVariable(GAMMA);
        conf.addVariable(BETA);
        return Collections.synchronizedMap(views);
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray view) {
        long c = ((GroupNormalization) conf.getLayer()).getNOut();
        INDArray flat = view.reshape(view.length());
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put(GAMMA, flat.get(NDArrayIndex.interval(0, c)));
        out.put(BETA, flat.get(NDArrayIndex.interval(c, 2 * c)));
        return out;
    }
}
