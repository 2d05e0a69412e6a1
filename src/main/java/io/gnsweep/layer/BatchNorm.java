package io.gnsweep.layer;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * Batch Normalization (Ioffe &amp; Szegedy, 2015) with DL4J's {@code BatchNormalization} semantics, computed by
 * gnsweep's fused CPU kernels ({@link BatchNormLayer}).
 *
 * <p>Per channel c, over the M = N·H·W values of a [N, C, H, W] input (over the N samples of a [N, C] one):
 * <pre>
 *   training:   μ_c = mean x,   σ²_c = mean (x − μ_c)²   (biased: the batch's own statistics)
 *   inference:  μ_c, σ²_c = the running mean and variance
 *   x̂ = (x − μ_c) / sqrt(σ²_c + eps),   y = γ_c · x̂ + β_c
 * </pre>
 * After each training step (in {@code fit}, through the parameters' NoOp updater, as DL4J's layer does it) the
 * running statistics become μ_run ← decay·μ_run + (1 − decay)·μ_c and σ²_run ← decay·σ²_run + (1 − decay)·σ²_c,
 * with the biased σ²_c; they are kept as log10 of the running std when {@code useLogStd} (the default).
 * Defaults: decay 0.9, eps 1e-5; γ (initialised to 1) and β (0) are trained and never regularised.
 *
 * <p>{@code relu(true)} fuses a ReLU into the layer: y = max(γ_c · x̂ + β_c, 0), the values of this layer followed by
 * a ReLU layer ({@link Relu}), computed in the same pass over memory and backpropagated through the same mask
 * (y > 0), in training and inference alike; one array and one graph vertex fewer per normalised layer.
 *
 * <p>It is DL4J's configuration class with that one setting added (false unless set): the same settings, builder, parameter keys ({@code gamma},
 * {@code beta}, {@code mean}, {@code log10stdev} or {@code var}) and initialiser, the same JSON form apart from its
 * class name; {@code instanceof BatchNormalization} holds. Only the layer it instantiates differs. Build it like
 * DL4J's: {@code new BatchNorm.Builder().name("b1c1-batch").build()} (the builder's setters return DL4J's builder
 * type; {@code build()} returns a BatchNorm), or take an existing configuration with {@link #of}.
 */
public class BatchNorm extends BatchNormalization {

    private static final long serialVersionUID = 1L;

    /** Whether a ReLU follows the normalisation inside the layer (false: the normalised values). */
    private boolean relu;

    /** For JSON deserialisation; DL4J's defaults (decay 0.9, eps 1e-5, useLogStd). */
    public BatchNorm() {
        super();
    }

    /** A BatchNorm with every setting of a DL4J BatchNormalization configuration (a copy; conf is not changed), and
     * a BatchNorm's fused ReLU. */
    public static BatchNorm of(BatchNormalization conf) {
        BatchNorm out = new BatchNorm();
        // DL4J's constructor from a builder is private: copy every field its class and superclasses declare
        for (Class<?> k = BatchNormalization.class; k != null && k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                try {
                    f.setAccessible(true);
                    f.set(out, f.get(conf));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new IllegalStateException("cannot copy BatchNormalization setting " + f.getName(), e);
                }
            }
        }
        if (conf instanceof BatchNorm b) {
            out.relu = b.relu;
        }
        return out.clone(); // deep-copies what DL4J's clone copies (constraints, dropout, updaters)
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners, int layerIndex, INDArray paramsView, boolean initializeParams,
            DataType networkDataType) {
        LayerValidation.assertNOutSet("BatchNorm", getLayerName(), layerIndex, getNOut());
        return LayerPlumbing.wire(new BatchNormLayer(conf, networkDataType), initializer(), conf, listeners,
                layerIndex, paramsView, initializeParams);
    }

    /**
     * The running statistics get γ's updater instead of DL4J's NoOp: {@link BatchNormLayer} takes their step itself
     * in the backward pass and leaves their gradients zero, on which any of DL4J's updaters steps by zero (no
     * regularization applies to a BatchNorm parameter). Consecutive parameters with one updater are one updater
     * block, so a network's parameters stay one block, not two per BatchNorm layer.
     */
    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        switch (paramName) {
            case BatchNormalizationParamInitializer.GLOBAL_MEAN:
            case BatchNormalizationParamInitializer.GLOBAL_VAR:
            case BatchNormalizationParamInitializer.GLOBAL_LOG_STD:
                return super.getUpdaterByParam(BatchNormalizationParamInitializer.GAMMA);
            default:
                return super.getUpdaterByParam(paramName);
        }
    }

    public boolean isRelu() {
        return relu;
    }

    public void setRelu(boolean relu) {
        this.relu = relu;
    }

    @Override
    public BatchNorm clone() {
        return (BatchNorm) super.clone();
    }

    /** Equal only to another BatchNorm with the same settings, not to DL4J's own class (either way round). */
    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && super.equals(o) && relu == ((BatchNorm) o).relu;
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + Boolean.hashCode(relu);
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof BatchNorm;
    }

    /** DL4J's BatchNormalization builder, building a {@link BatchNorm}. */
    public static class Builder extends BatchNormalization.Builder {
        private boolean relu;

        /** A ReLU after the normalisation, fused into the layer (default false). */
        public Builder relu(boolean relu) {
            this.relu = relu;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public BatchNorm build() {
            BatchNorm out = of(super.build());
            out.relu = relu;
            return out;
        }
    }
}
