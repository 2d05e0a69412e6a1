package io.gnsweep.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.gnsweep.data.ImageDataset;
import io.gnsweep.layer.BatchNorm;
import io.gnsweep.layer.GroupNormalization;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The exchange folder between a DL4J trial and its PyTorch replica ({@code jobs/torch_trial.py}, whose docstring
 * says how each entry is used): {@code manifest.json} describing the network node by node with DL4J's own
 * settings, its parameters as DL4J holds them ({@code params/<layer>_<key>.bin}: little-endian float32 in C order
 * of the parameter's DL4J shape), the training images and labels, the image index of every slot of every
 * mini-batch in training order, the learning rate of every step, and the test set.
 *
 * <p>Refuses (IllegalArgumentException naming the layer) any layer, setting, updater or regularization it has no
 * replica for, so that the check never silently compares different trainings. Each node carries {@code inputs}
 * (empty: the previous node), so a ComputationGraph exports as its vertices in topological order with their input
 * names ({@code network.input_name} names the network input), an ElementWiseVertex(Add) as an {@code add} node, a
 * GlobalPoolingLayer(AVG) as {@code global_avg_pool}; a network's nodes keep empty inputs and the index-named
 * parameter files they had; a new updater is one more case in {@link #updater}
 * with its rule in the replica, a regularization one more in {@link #regularization}.
 */
final class TorchExchange {
    static final String FORMAT = "gnsweep-torch-trial-1";
    static final String RESULT = "torch-result.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TorchExchange() {}

    /**
     * Writes the folder for a float32 network before its training: {@code batches[step]} lists the training-image
     * indices of that step's mini-batch, {@code lrs[step]} the learning rate DL4J's updater uses at it.
     */
    static void write(Path dir, Model net, InputType input, ImageDataset train, int[][] batches,
            double[] lrs, ImageDataset test, int evalBatch) throws IOException {
        if (net.params().dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("export a float32 network, got " + net.params().dataType());
        }
        if (lrs.length != batches.length) {
            throw new IllegalArgumentException(lrs.length + " learning rates for " + batches.length + " steps");
        }
        Files.createDirectories(dir.resolve("params"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("dtype", "float32");
        Map<String, Object> network = new LinkedHashMap<>();
        network.put("input", List.of(train.channels(), train.height(), train.width()));
        if (net instanceof ComputationGraph g) {
            network.put("input_name", g.getConfiguration().getNetworkInputs().get(0));
            network.put("nodes", nodes(dir, g, input));
        } else {
            network.put("nodes", nodes(dir, (MultiLayerNetwork) net, input));
        }
        m.put("network", network);
        m.put("loss", loss(outputLayer(net)));
        Map<String, Object> tr = new LinkedHashMap<>();
        tr.put("images", images(dir, "train", train));
        tr.put("labels", ints(dir.resolve("train.labels.bin"), train.labels(), List.of(train.size())));
        int batch = batches.length == 0 ? 0 : batches[0].length;
        int[] flat = new int[batches.length * batch];
        for (int s = 0; s < batches.length; s++) {
            if (batches[s].length != batch) {
                throw new IllegalArgumentException("step " + s + " has " + batches[s].length + " images, not " + batch);
            }
            System.arraycopy(batches[s], 0, flat, s * batch, batch);
        }
        tr.put("batches", ints(dir.resolve("train.batches.bin"), flat, List.of(batches.length, batch)));
        tr.put("lr", lrs);
        m.put("train", tr);
        Map<String, Object> te = new LinkedHashMap<>();
        te.put("images", images(dir, "test", test));
        te.put("labels", ints(dir.resolve("test.labels.bin"), test.labels(), List.of(test.size())));
        te.put("eval_batch", evalBatch);
        m.put("test", te);
        JSON.writeValue(dir.resolve("manifest.json").toFile(), m);
    }

    /** The replica's result ({@link #RESULT} in the folder): per dtype, losses, test metrics, predictions. */
    static JsonNode readResult(Path dir) throws IOException {
        JsonNode r = JSON.readTree(dir.resolve(RESULT).toFile());
        if (!FORMAT.equals(r.path("format").asText())) {
            throw new IOException(dir.resolve(RESULT) + ": format " + r.path("format") + ", expected " + FORMAT);
        }
        return r;
    }

    private static List<Map<String, Object>> nodes(Path dir, MultiLayerNetwork net, InputType input)
            throws IOException {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        List<InputType> outputs = conf.getLayerActivationTypes(input);
        List<Map<String, Object>> nodes = new ArrayList<>();
        InputType in = input;
        for (int i = 0; i < net.getnLayers(); i++) {
            InputPreProcessor pre = conf.getInputPreProcess(i);
            if (pre != null) {
                requireFlatten("layer " + i, pre);
                // DL4J reshapes NCHW activations in C order (CnnToFeedForwardPreProcessor.preProcess)
                nodes.add(node("pre" + i, "flatten"));
                in = pre.getOutputType(in);
            }
            Layer layer = conf.getConf(i).getLayer();
            Map<String, Object> n = layer(i + "_" + layer.getLayerName(), layer, in, outputs.get(i));
            n.put("params", params(dir, Integer.toString(i), net.getLayer(i)));
            nodes.add(n);
            in = outputs.get(i);
        }
        return nodes;
    }

    /**
     * A graph's vertices in topological order, each naming its inputs (the network input by its name); a layer
     * vertex's preprocessor is a node of its own ({@code <vertex>-pre}) before it.
     */
    private static List<Map<String, Object>> nodes(Path dir, ComputationGraph g, InputType input) throws IOException {
        ComputationGraphConfiguration conf = g.getConfiguration();
        Map<String, InputType> types = new LinkedHashMap<>(conf.getLayerActivationTypes(input));
        types.put(conf.getNetworkInputs().get(0), input);
        String output = conf.getNetworkOutputs().get(0);
        List<Map<String, Object>> nodes = new ArrayList<>();
        String last = null;
        for (int idx : g.topologicalSortOrder()) {
            String name = g.getVertices()[idx].getVertexName();
            if (conf.getNetworkInputs().contains(name)) {
                continue;
            }
            List<String> inputs = conf.getVertexInputs().get(name);
            GraphVertex vertex = conf.getVertices().get(name);
            if (vertex instanceof LayerVertex lv) {
                if (inputs.size() != 1) {
                    throw new IllegalArgumentException(name + ": a layer vertex with inputs " + inputs);
                }
                InputType in = types.get(inputs.get(0));
                InputPreProcessor pre = lv.getPreProcessor();
                if (pre != null) {
                    nodes.add(node(name + "-pre", "flatten", inputs));
                    requireFlatten(name, pre);
                    inputs = List.of(name + "-pre");
                    in = pre.getOutputType(in);
                }
                Layer layer = lv.getLayerConf().getLayer();
                Map<String, Object> n = layer(name, layer, in, types.get(name));
                n.put("inputs", inputs);
                n.put("params", params(dir, name, g.getLayer(name)));
                nodes.add(n);
            } else if (vertex instanceof ElementWiseVertex e && e.getOp() == ElementWiseVertex.Op.Add) {
                nodes.add(node(name, "add", inputs));
            } else if (vertex instanceof io.gnsweep.layer.AddRelu) {
                Map<String, Object> n = node(name, "add", inputs);
                n.put("relu", true);
                nodes.add(n);
            } else {
                throw new IllegalArgumentException(name + ": vertex " + vertex + " has no replica");
            }
            last = name;
        }
        if (!output.equals(last)) {
            // the replica's result is its last node
            throw new IllegalArgumentException("the output " + output + " is not the last vertex (" + last + ")");
        }
        return nodes;
    }

    private static void requireFlatten(String name, InputPreProcessor pre) {
        if (!(pre instanceof CnnToFeedForwardPreProcessor)
                || ((CnnToFeedForwardPreProcessor) pre).getFormat() != CNN2DFormat.NCHW) {
            throw new IllegalArgumentException(name + ": preprocessor " + pre + " has no replica");
        }
    }

    private static Map<String, Object> layer(String name, Layer layer, InputType in, InputType out) {
        if (layer.getClass() == ConvolutionLayer.class || layer.getClass() == io.gnsweep.layer.Conv2D.class) {
            ConvolutionLayer c = (ConvolutionLayer) layer;
            requireActivation(name, c.getActivationFn(), new ActivationIdentity());
            if (c.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
                throw new IllegalArgumentException(name + ": only NCHW convolutions have a replica");
            }
            Map<String, Object> n = node(name, "conv2d");
            n.put("kernel", c.getKernelSize());
            n.put("stride", c.getStride());
            n.put("dilation", c.getDilation());
            n.put("padding", padding(name, c.getConvolutionMode(), c.getPadding(), c.getKernelSize(), c.getStride(),
                    c.getDilation(), in, out));
            n.put("bias", c.hasBias());
            return n;
        }
        if (layer.getClass() == SubsamplingLayer.class || layer instanceof io.gnsweep.layer.MaxPool) {
            SubsamplingLayer s = (SubsamplingLayer) layer;
            if (s.getPoolingType() != org.deeplearning4j.nn.conf.layers.PoolingType.MAX) {
                throw new IllegalArgumentException(name + ": pooling " + s.getPoolingType() + " has no replica");
            }
            Map<String, Object> n = node(name, "max_pool2d");
            n.put("kernel", s.getKernelSize());
            n.put("stride", s.getStride());
            n.put("padding", padding(name, s.getConvolutionMode(), s.getPadding(), s.getKernelSize(), s.getStride(),
                    s.getDilation(), in, out));
            return n;
        }
        if (layer instanceof GroupNormalization) {
            GroupNormalization g = (GroupNormalization) layer;
            Map<String, Object> n = node(name, "group_norm");
            n.put("groups", g.getGroups());
            n.put("eps", g.getEps());
            n.put("relu", g.isRelu());
            return n;
        }
        if (layer.getClass() == BatchNormalization.class || layer.getClass() == BatchNorm.class) {
            BatchNormalization b = (BatchNormalization) layer;
            if (b.isLockGammaBeta() || b.getCnn2DFormat() != CNN2DFormat.NCHW) {
                throw new IllegalArgumentException(name + ": locked gamma/beta or NHWC batch norm has no replica");
            }
            Map<String, Object> n = node(name, "batch_norm");
            n.put("eps", b.getEps());
            n.put("decay", b.getDecay());
            n.put("use_log_std", b.isUseLogStd());
            n.put("relu", b instanceof BatchNorm bn && bn.isRelu());
            return n;
        }
        if (layer.getClass() == GlobalPoolingLayer.class) {
            GlobalPoolingLayer p = (GlobalPoolingLayer) layer;
            int[] dims = p.getPoolingDimensions();
            if (p.getPoolingType() != org.deeplearning4j.nn.conf.layers.PoolingType.AVG || !p.isCollapseDimensions()
                    || !(in instanceof InputType.InputTypeConvolutional)
                    || ((InputType.InputTypeConvolutional) in).getFormat() != CNN2DFormat.NCHW
                    || (dims != null && !java.util.Arrays.equals(dims, new int[] {2, 3}))) {
                throw new IllegalArgumentException(name + ": global pooling " + p.getPoolingType() + " over "
                        + java.util.Arrays.toString(dims) + " of " + in + " has no replica");
            }
            return node(name, "global_avg_pool"); // mean over H and W: [N,C,H,W] -> [N,C]
        }
        if (layer instanceof ActivationLayer) {
            requireActivation(name, ((ActivationLayer) layer).getActivationFn(), new ActivationReLU());
            return node(name, "relu");
        }
        if (layer.getClass() == OutputLayer.class || layer.getClass() == DenseLayer.class) {
            BaseLayer d = (BaseLayer) layer;
            Map<String, Object> n = node(name, "dense");
            IActivation act = d.getActivationFn();
            if (layer instanceof OutputLayer) {
                requireActivation(name, act, new ActivationSoftmax());
            } else {
                requireActivation(name, act, new ActivationIdentity());
            }
            n.put("activation", act instanceof ActivationSoftmax ? "softmax" : "identity");
            n.put("bias", layer instanceof OutputLayer ? ((OutputLayer) layer).hasBias() : ((DenseLayer) layer).hasBias());
            return n;
        }
        throw new IllegalArgumentException(name + ": layer " + layer.getClass().getSimpleName() + " has no replica");
    }

    /** (top, bottom, left, right) as DL4J pads: Same mode as ConvolutionUtils computes it, else symmetric. */
    private static int[] padding(String name, ConvolutionMode mode, int[] pad, int[] kernel, int[] stride,
            int[] dilation, InputType in, InputType out) {
        if (mode == ConvolutionMode.Same) {
            InputType.InputTypeConvolutional i = (InputType.InputTypeConvolutional) in;
            InputType.InputTypeConvolutional o = (InputType.InputTypeConvolutional) out;
            int[] inSize = {(int) i.getHeight(), (int) i.getWidth()};
            int[] outSize = {(int) o.getHeight(), (int) o.getWidth()};
            int[] tl = ConvolutionUtils.getSameModeTopLeftPadding(outSize, inSize, kernel, stride, dilation);
            int[] br = ConvolutionUtils.getSameModeBottomRightPadding(outSize, inSize, kernel, stride, dilation);
            return new int[] {tl[0], br[0], tl[1], br[1]};
        }
        if (mode == ConvolutionMode.Truncate || mode == ConvolutionMode.Strict) {
            return new int[] {pad[0], pad[0], pad[1], pad[1]};
        }
        throw new IllegalArgumentException(name + ": convolution mode " + mode + " has no replica");
    }

    private static void requireActivation(String name, IActivation actual, IActivation expected) {
        if (!expected.equals(actual)) {
            throw new IllegalArgumentException(name + ": activation " + actual + " has no replica (expected "
                    + expected + ")");
        }
    }

    /** The configuration of the layer whose output is the network's. */
    private static Layer outputLayer(Model net) {
        if (net instanceof ComputationGraph g) {
            String out = g.getConfiguration().getNetworkOutputs().get(0);
            GraphVertex v = g.getConfiguration().getVertices().get(out);
            if (!(v instanceof LayerVertex)) {
                throw new IllegalArgumentException("the output " + out + " is a " + v.getClass().getSimpleName());
            }
            return ((LayerVertex) v).getLayerConf().getLayer();
        }
        MultiLayerNetwork n = (MultiLayerNetwork) net;
        return n.getLayerWiseConfigurations().getConf(n.getnLayers() - 1).getLayer();
    }

    private static Map<String, Object> loss(Layer last) {
        if (!(last instanceof OutputLayer)) {
            throw new IllegalArgumentException("the last layer is " + last.getClass().getSimpleName());
        }
        ILossFunction fn = ((OutputLayer) last).getLossFn();
        if (!(fn instanceof LossMCXENT) || ((LossMCXENT) fn).getWeights() != null) {
            throw new IllegalArgumentException("loss " + fn + " has no replica");
        }
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("type", "mcxent");
        l.put("softmax_clip_eps", ((LossMCXENT) fn).getSoftmaxClipEps());
        return l;
    }

    /**
     * Every parameter of a layer in DL4J's order, with its updater and regularization (trainable ones), each in
     * {@code params/<prefix>_<key>.bin} (prefix: the layer's index in a network, its vertex name in a graph).
     */
    private static Map<String, Object> params(Path dir, String prefix, org.deeplearning4j.nn.api.Layer impl)
            throws IOException {
        Layer layer = impl.conf().getLayer();
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> p : impl.paramTable().entrySet()) {
            String key = p.getKey();
            INDArray a = p.getValue();
            String file = "params/" + prefix + "_" + key + ".bin";
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("file", file);
            e.put("shape", a.shape());
            IUpdater u = layer.getUpdaterByParam(key);
            if (isState(layer, key)) {
                // running statistics: updated by DL4J's own rule (DL4J's layer: a NoOp updater, "gradient" = the
                // change; gnsweep's BatchNorm takes that step in its backward pass and gives them γ's updater)
                if (!(u instanceof NoOp) && !(layer instanceof io.gnsweep.layer.BatchNorm)) {
                    throw new IllegalArgumentException(prefix + "/" + key + ": running statistic with updater " + u);
                }
                e.put("trainable", false);
            } else {
                e.put("trainable", true);
                e.put("updater", updater(prefix + "/" + key, u));
                List<Map<String, Object>> regs = new ArrayList<>();
                List<Regularization> list = layer.getRegularizationByParam(key);
                if (list != null) {
                    for (Regularization r : list) {
                        regs.add(regularization(prefix + "/" + key, r));
                    }
                }
                e.put("regularization", regs);
            }
            floats(dir.resolve(file), a);
            out.put(key, e);
        }
        return out;
    }

    /** Whether the parameter is a running statistic (BatchNorm's mean and variance), not trained by gradients. */
    static boolean isState(Layer layer, String key) {
        return layer instanceof BatchNormalization && (BatchNormalizationParamInitializer.GLOBAL_MEAN.equals(key)
                || BatchNormalizationParamInitializer.GLOBAL_VAR.equals(key)
                || BatchNormalizationParamInitializer.GLOBAL_LOG_STD.equals(key));
    }

    /** The trainable parameters (views) in the manifest's order: layers in order, each layer's in DL4J's order. */
    static List<INDArray> trainable(TorchNet net) {
        List<INDArray> out = new ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer impl : net.layers().values()) {
            for (Map.Entry<String, INDArray> p : impl.paramTable().entrySet()) {
                if (!isState(impl.conf().getLayer(), p.getKey())) {
                    out.add(p.getValue());
                }
            }
        }
        return out;
    }

    /** Sets the trainable parameters from a file of the replica's states ({@code states/<step>.bin}). */
    static void readTrainable(Path file, TorchNet net) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        for (INDArray p : trainable(net)) {
            float[] v = new float[(int) p.length()];
            b.asFloatBuffer().get(v);
            b.position(b.position() + 4 * v.length);
            p.assign(org.nd4j.linalg.factory.Nd4j.create(v, p.shape(), 'c').castTo(p.dataType()));
        }
        if (b.hasRemaining()) {
            throw new IOException(file + ": " + b.remaining() + " bytes beyond the network's parameters");
        }
    }

    /** The updater's settings except its learning rate (per step in the manifest's {@code train.lr}). */
    static Map<String, Object> updater(String param, IUpdater u) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (u instanceof Adam) {
            Adam a = (Adam) u;
            m.put("type", "adam");
            m.put("beta1", a.getBeta1());
            m.put("beta2", a.getBeta2());
            m.put("eps", a.getEpsilon());
            return m;
        }
        if (u instanceof io.gnsweep.optim.SgdMomentum) {
            io.gnsweep.optim.SgdMomentum sgd = (io.gnsweep.optim.SgdMomentum) u;
            m.put("type", "sgd_momentum");
            m.put("momentum", sgd.getMomentum());
            m.put("nesterov", sgd.isNesterov());
            return m;
        }
        throw new IllegalArgumentException(param + ": updater " + u + " has no replica yet");
    }

    static Map<String, Object> regularization(String param, Regularization r) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (r instanceof L2Regularization) {
            m.put("type", "l2");
            m.put("coeff", ((L2Regularization) r).getL2().valueAt(0, 0));
        } else if (r instanceof WeightDecay) {
            m.put("type", "weight_decay");
            m.put("coeff", ((WeightDecay) r).getCoeff().valueAt(0, 0));
            m.put("apply_lr", ((WeightDecay) r).isApplyLR());
        } else {
            throw new IllegalArgumentException(param + ": regularization " + r + " has no replica yet");
        }
        return m;
    }

    private static Map<String, Object> node(String name, String type) {
        return node(name, type, List.of());
    }

    private static Map<String, Object> node(String name, String type, List<String> inputs) {
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("name", name);
        n.put("type", type);
        n.put("inputs", inputs);
        return n;
    }

    private static Map<String, Object> images(Path dir, String split, ImageDataset d) throws IOException {
        String file = split + ".images.bin";
        ByteBuffer b = ByteBuffer.allocate(4 * d.pixels().length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(d.pixels());
        Files.write(dir.resolve(file), b.array());
        return entry(file, List.of(d.size(), d.channels(), d.height(), d.width()));
    }

    private static Map<String, Object> ints(Path file, int[] values, List<Integer> shape) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        Files.write(file, b.array());
        return entry(file.getFileName().toString(), shape);
    }

    private static void floats(Path file, INDArray a) throws IOException {
        float[] v = a.dup('c').data().asFloat();
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.write(file, b.array());
    }

    private static Map<String, Object> entry(String file, List<Integer> shape) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("file", file);
        e.put("shape", shape);
        return e;
    }
}
