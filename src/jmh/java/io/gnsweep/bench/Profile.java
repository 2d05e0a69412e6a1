package io.gnsweep.bench;

import static io.gnsweep.bench.Rounds.median;

import io.gnsweep.model.Model;
import io.gnsweep.model.NetworkFactory.NetworkSpec;
import io.gnsweep.model.NetworkFactory;
import io.gnsweep.model.NormKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A per-layer profile of fit(): each layer's forward and backward pass timed on its own, against whole fit() calls. */
final class Profile extends Part {
    Profile(Part.Setting setting) {
        super(setting);
    }

    /** Times each layer's activate(true) and backpropGradient separately, against whole fit() calls. */
    void run(Model model, double width, int batch, NormKind norm) {
        int ch = model == Model.SMALL_CNN ? 1 : 3;
        int size = model.inputSize();
        String cfg = String.format(Locale.ROOT, "%s w%s bs%d %s", model.id(), TrainPart.trim(width), batch, norm.id());
        MultiLayerNetwork net = NetworkFactory.build(new NetworkSpec(model, norm, 8, width, ch, size, size, 10, 1e-3, 1));
        INDArray x = Nd4j.randn(DataType.FLOAT, batch, ch, size, size);
        INDArray y = TrainPart.oneHot(batch, 10);
        for (int i = 0; i < 30; i++) {
            net.fit(x, y);
        }
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        int n = net.getnLayers();
        List<INDArray> acts = net.feedForward(x, true).stream().map(INDArray::dup).collect(Collectors.toList());
        INDArray[] inputs = new INDArray[n];
        INDArray[] eps = new INDArray[n];
        for (int i = 0; i < n; i++) {
            INDArray in = acts.get(i);
            InputPreProcessor pp = net.getLayerWiseConfigurations().getInputPreProcess(i);
            inputs[i] = pp == null ? in : pp.preProcess(in, batch, mgr).dup();
            eps[i] = Nd4j.randn(DataType.FLOAT, acts.get(i + 1).shape()).muli(1e-3);
        }
        // Each layer in a reused workspace, as fit() runs it: fresh off-heap memory every call would be timed too.
        LayerWorkspaceMgr layerMgr = LayerBench.reusedWorkspace("PROFILE");
        int reps = 10;
        double[][] fwd = new double[n][reps];
        double[][] bwd = new double[n][reps];
        double[] fit = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t = System.nanoTime();
            net.fit(x, y);
            fit[r] = (System.nanoTime() - t) / 1e6;
            for (int i = 0; i < n; i++) {
                Layer l = net.getLayer(i);
                try (MemoryWorkspace ws = layerMgr.notifyScopeEntered(ArrayType.ACTIVATIONS)) {
                    t = System.nanoTime();
                    l.setInput(inputs[i], layerMgr);
                    l.activate(true, layerMgr);
                    fwd[i][r] = (System.nanoTime() - t) / 1e6;
                    t = System.nanoTime();
                    if (l instanceof IOutputLayer o) {
                        o.setLabels(y);
                        l.backpropGradient(null, layerMgr);
                    } else {
                        l.backpropGradient(eps[i], layerMgr);
                    }
                    bwd[i][r] = (System.nanoTime() - t) / 1e6;
                }
            }
        }
        double fitMs = median(fit);
        Map<String, double[]> byKind = new LinkedHashMap<>();
        StringBuilder table = new StringBuilder();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            Layer l = net.getLayer(i);
            double f = median(fwd[i]);
            double b = median(bwd[i]);
            sum += f + b;
            String kind = kindOf(l);
            byKind.computeIfAbsent(kind, k -> new double[2]);
            byKind.get(kind)[0] += f;
            byKind.get(kind)[1] += b;
            table.append(String.format(Locale.ROOT, "  %-14s %-12s fwd %7.2f ms  bwd %7.2f ms  %s%n",
                    l.conf().getLayer().getLayerName(), kind, f, b, LayerBench.helperOf(l) == null ? "" : "(helper)"));
        }
        byKind.put("other (updater, loss, net overhead)", new double[] {Math.max(0, fitMs - sum), 0});
        log.printf(Locale.ROOT, "profile: %s, fit %.2f ms (median of %d), per layer:%n%s", cfg, fitMs, reps, table);
        for (Map.Entry<String, double[]> e : byKind.entrySet()) {
            double ms = e.getValue()[0] + e.getValue()[1];
            add("profile", "share_of_fit", cfg + ": " + e.getKey(), 100 * ms / fitMs, "%", "", null, "info",
                    String.format(Locale.ROOT, "fwd %.2f + bwd %.2f ms of fit %.2f ms", e.getValue()[0], e.getValue()[1],
                            fitMs));
        }
        net.close();
    }

    private static String kindOf(Layer l) {
        String c = l.getClass().getSimpleName();
        if (c.contains("Convolution")) {
            return "conv";
        }
        if (c.contains("GroupNorm") || c.contains("BatchNorm")) {
            return "norm";
        }
        if (c.contains("Activation") || c.equals("ReluLayer")) {
            return "relu";
        }
        if (c.contains("Subsampling") || c.contains("MaxPool")) {
            return "pool";
        }
        if (c.contains("Output")) {
            return "output";
        }
        return c;
    }
}
