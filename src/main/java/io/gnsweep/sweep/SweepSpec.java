package io.gnsweep.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import io.gnsweep.config.DataSettings;
import io.gnsweep.config.Overrides;
import io.gnsweep.config.ProtocolSettings;
import io.gnsweep.config.UsageException;
import io.gnsweep.model.Model;
import io.gnsweep.model.NormKind;
import io.gnsweep.train.Protocol;
import io.gnsweep.train.TrialSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A validated sweep: the Cartesian product model-depth x optimizer x weight-decay (each when swept) x norm x
 * batch-size x groups (for {@code group} only) x seed over one dataset, model and training protocol. Build it with {@link #load}; every problem is a
 * {@link UsageException} naming the key and the value.
 */
public final class SweepSpec {
    /** Every key a spec may set, with defaults. */
    public static final String REFERENCE = "gnsweep/sweep-reference.conf";
    /** The spec used when none is given (a copy of conf/sweeps/quick.conf). */
    public static final String DEFAULT_SPEC = "gnsweep/quick.conf";
    /** Batch size at which {@code lr-scaling = linear} leaves the learning rate unchanged. */
    public static final int LR_REFERENCE_BATCH = 32;

    /** The reference's defaults, resolved once: what a key that is not set stands for. */
    private static final Config DEFAULTS = ConfigFactory.parseResources(REFERENCE).resolve();

    /** Keys added with the training protocol; see {@link #canonicalJson()}. */
    private static final List<String> PROTOCOL_KEYS = List.of("model-depth", "zero-init-last-norm",
            "axes.model-depth", "axes.optimizer", "axes.weight-decay", "train.optimizer", "train.momentum",
            "train.nesterov", "train.weight-decay", "train.lr-schedule", "train.lr-milestones", "train.lr-decay",
            "train.warmup-epochs", "train.augment");

    private final Config config;
    private final String name;
    private final DataSettings data;
    private final Model model;
    private final double width;
    private final int epochs;
    private final double lr;
    private final String lrScaling;
    private final List<NormKind> norms;
    private final List<Integer> batchSizes;
    private final List<Integer> groups;
    private final List<Integer> seeds;
    private final Boolean zeroInitLastNorm;
    private final Protocol protocol;
    private final List<Integer> depths;
    private final List<Protocol.Optimizer> optimizers;
    private final List<Double> weightDecays;
    private final String output;
    private final boolean cpuFallback;
    private final List<TrialSpec> trials;

    private SweepSpec(Config c) {
        this.config = c;
        this.name = Overrides.getString(c, "name");
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new UsageException("name = " + name + ": use letters, digits, '.', '_' and '-' only");
        }
        this.data = DataSettings.read(c);
        this.model = Overrides.parse("model", () -> Model.parse(Overrides.getString(c, "model")));
        this.width = Overrides.getDouble(c, "model-width");
        this.epochs = Overrides.getInt(c, "train.epochs");
        this.lr = Overrides.getDouble(c, "train.lr");
        this.lrScaling = Overrides.getString(c, "train.lr-scaling");
        if (!lrScaling.equals("none") && !lrScaling.equals("linear")) {
            throw new UsageException("train.lr-scaling = " + lrScaling + ": expected none or linear");
        }
        this.norms = new ArrayList<>();
        for (String n : strings(c, "axes.norm")) {
            norms.add(Overrides.parse("axes.norm", () -> NormKind.parse(n)));
        }
        this.batchSizes = ints(c, "axes.batch-size");
        this.groups = ints(c, "axes.groups");
        this.seeds = ints(c, "axes.seed");
        this.zeroInitLastNorm = c.getIsNull("zero-init-last-norm") ? null
                : Overrides.getBoolean(c, "zero-init-last-norm");
        this.protocol = ProtocolSettings.read(c, "train.");
        this.depths = axisOr(c, "axes.model-depth", "model-depth",
                () -> ints(c, "axes.model-depth"), () -> List.of(Overrides.getInt(c, "model-depth")));
        this.optimizers = axisOr(c, "axes.optimizer", "train.optimizer", () -> {
            List<Protocol.Optimizer> out = new ArrayList<>();
            for (String o : strings(c, "axes.optimizer")) {
                out.add(Overrides.parse("axes.optimizer", () -> Protocol.Optimizer.parse(o)));
            }
            return out;
        }, () -> List.of(protocol.optimizer()));
        this.weightDecays = axisOr(c, "axes.weight-decay", "train.weight-decay",
                () -> numbers(c, "axes.weight-decay"), () -> List.of(protocol.weightDecay()));
        ProtocolSettings.refuseInapplicable(protocol, optimizers.contains(Protocol.Optimizer.SGD), "train.");
        this.output = Overrides.getString(c, "output");
        try {
            this.cpuFallback = c.getBoolean("gpu.cpu-fallback");
        } catch (ConfigException e) {
            throw new UsageException("gpu.cpu-fallback = " + c.getValue("gpu.cpu-fallback").render(ConfigRenderOptions.concise()) + ": expected true or false");
        }
        this.trials = expand();
    }

    /**
     * Reads a spec file (null: the embedded quick spec) over the reference defaults, applies the overrides,
     * and validates everything that can be checked without the data.
     */
    public static SweepSpec load(Path file, List<String> overrides) {
        Config reference = ConfigFactory.parseResources(REFERENCE);
        Config spec;
        try {
            if (file == null) {
                spec = ConfigFactory.parseResources(DEFAULT_SPEC);
            } else {
                if (!Files.isReadable(file)) {
                    throw new UsageException("spec " + file + ": no such readable file");
                }
                spec = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            }
        } catch (ConfigException e) {
            throw new UsageException("spec " + (file == null ? DEFAULT_SPEC : file) + ": " + e.getMessage());
        }
        for (Map.Entry<String, ConfigValue> e : spec.entrySet()) {
            if (!reference.hasPathOrNull(e.getKey())) {
                throw new UsageException("spec " + (file == null ? DEFAULT_SPEC : file) + ": unknown key '"
                        + e.getKey() + "'");
            }
        }
        Config merged = Overrides.apply(spec.withFallback(reference), overrides);
        return new SweepSpec(merged);
    }

    private List<TrialSpec> expand() {
        validateAxes();
        List<TrialSpec> out = new ArrayList<>();
        for (int depth : depths) {
            for (Protocol.Optimizer optimizer : optimizers) {
                for (double wd : weightDecays) {
                    Protocol p = new Protocol(optimizer, protocol.momentum(), protocol.nesterov(), wd,
                            protocol.lrSchedule(), protocol.lrMilestones(), protocol.lrDecay(), protocol.warmupEpochs(),
                            protocol.augment());
                    for (NormKind norm : norms) {
                        for (int bs : batchSizes) {
                            double trialLr = lrScaling.equals("linear") ? lr * bs / LR_REFERENCE_BATCH : lr;
                            List<Integer> gs = norm.usesGroups() ? groups : java.util.Collections.singletonList(null);
                            for (Integer g : gs) {
                                for (int seed : seeds) {
                                    TrialSpec t = new TrialSpec(data.name(), data.path(), data.trainLimit(),
                                            data.testLimit(), model, width, norm, g, bs, trialLr, epochs, seed, depth,
                                            zeroInitLastNorm, p);
                                    try {
                                        t.validate();
                                    } catch (IllegalArgumentException e) {
                                        throw new UsageException(specKey(e.getMessage()));
                                    }
                                    out.add(t);
                                }
                            }
                        }
                    }
                }
            }
        }
        return List.copyOf(out);
    }

    /** Rewrites a trial's message "key = value: why" with the key as this spec spells it. */
    private String specKey(String message) {
        int eq = message.indexOf(" = ");
        String key = eq < 0 ? "" : message.substring(0, eq);
        String rest = eq < 0 ? message : message.substring(eq);
        boolean swept = switch (key) {
            case "batch-size", "groups", "seed" -> true;
            case "model-depth" -> !config.getIsNull("axes.model-depth");
            case "weight-decay" -> !config.getIsNull("axes.weight-decay");
            default -> false;
        };
        if (swept) {
            return "axes." + key + rest;
        }
        if (key.equals("epochs") || key.equals("lr") || ProtocolSettings.KEYS.contains(key)) {
            return "train." + key + rest;
        }
        return message;
    }

    /** An optional axis: its values when set (and the single key left at its default), else the single value. */
    private <T> List<T> axisOr(Config c, String axis, String single, java.util.function.Supplier<List<T>> axisValues,
                               java.util.function.Supplier<List<T>> singleValue) {
        if (c.getIsNull(axis)) {
            return singleValue.get();
        }
        if (!c.getValue(single).unwrapped().equals(DEFAULTS.getValue(single).unwrapped())) {
            throw new UsageException(axis + " and " + single + " are both set: sweep the axis, or set the single"
                    + " value, not both");
        }
        List<T> values = axisValues.get();
        requireNonEmpty(axis, values);
        requireDistinct(axis, values);
        return values;
    }

    private void validateAxes() {
        requireNonEmpty("axes.norm", norms);
        requireNonEmpty("axes.batch-size", batchSizes);
        requireNonEmpty("axes.seed", seeds);
        requireDistinct("axes.norm", norms);
        requireDistinct("axes.batch-size", batchSizes);
        requireDistinct("axes.seed", seeds);
        if (!(width > 0)) {
            throw new UsageException("model-width = " + width + ": must be > 0");
        }
        for (int bs : batchSizes) {
            if (bs < 1) {
                throw new UsageException("axes.batch-size = " + bs + ": must be >= 1");
            }
            if (data.trainLimit() != null && bs > data.trainLimit()) {
                throw new UsageException("axes.batch-size = " + bs + ": exceeds dataset.train-limit = "
                        + data.trainLimit());
            }
        }
        if (norms.contains(NormKind.GROUP)) {
            requireNonEmpty("axes.groups", groups);
            requireDistinct("axes.groups", groups);
            for (int g : groups) {
                if (g < 1) {
                    throw new UsageException("axes.groups = " + g + ": must be >= 1");
                }
                for (int depth : depths) {
                    if (model.isResidual()) {
                        Overrides.parse("axes.model-depth", () -> io.gnsweep.model.ResNet.blocksPerStage(depth));
                    }
                    for (int channels : model.normalisedChannels(width, model.isResidual() ? depth : Model.DEFAULT_DEPTH)) {
                        if (channels % g != 0) {
                            throw new UsageException("axes.groups = " + g + ": does not divide the " + channels
                                    + " channels of a normalised layer of " + model.id()
                                    + (model.isResidual() ? "-" + depth : "")
                                    + (width != 1.0 ? " (model-width = " + width + ")" : ""));
                        }
                    }
                }
            }
        }
        if (epochs < 1) {
            throw new UsageException("train.epochs = " + epochs + ": must be >= 1");
        }
        if (!(lr > 0)) {
            throw new UsageException("train.lr = " + lr + ": must be > 0");
        }
    }

    private static void requireNonEmpty(String key, List<?> values) {
        if (values.isEmpty()) {
            throw new UsageException(key + " = []: empty axis; give at least one value");
        }
    }

    private static void requireDistinct(String key, List<?> values) {
        Set<Object> seen = new LinkedHashSet<>();
        for (Object v : values) {
            if (!seen.add(v)) {
                throw new UsageException(key + ": value " + (v instanceof NormKind k ? k.id() : v) + " appears twice");
            }
        }
    }

    private static List<String> strings(Config c, String path) {
        try {
            return c.getStringList(path);
        } catch (ConfigException e) {
            try {
                return List.of(c.getString(path));
            } catch (ConfigException e2) {
                throw new UsageException(path + " = " + c.getValue(path).render(ConfigRenderOptions.concise())
                        + ": expected a list of names");
            }
        }
    }

    private static List<Integer> ints(Config c, String path) {
        return Overrides.getIntList(c, path);
    }

    private static List<Double> numbers(Config c, String path) {
        try {
            return new ArrayList<>(c.getDoubleList(path));
        } catch (ConfigException e) {
            try {
                return List.of(c.getDouble(path));
            } catch (ConfigException e2) {
                throw new UsageException(path + " = " + c.getValue(path).render(ConfigRenderOptions.concise())
                        + ": expected a list of numbers");
            }
        }
    }

    /** The trials, in expansion order (norm, batch size, groups, seed as listed in the spec). */
    public List<TrialSpec> trials() {
        return trials;
    }

    public String name() {
        return name;
    }

    public DataSettings data() {
        return data;
    }

    public Model model() {
        return model;
    }

    /** Whether a trial given a GPU it cannot use runs on the CPU (true) or fails (false). */
    public boolean cpuFallback() {
        return cpuFallback;
    }

    /** Where the results go: a local folder or a URI Spark writes to. */
    public String output() {
        return output;
    }

    /**
     * The settings that decide the results, as canonical JSON (sorted keys): name, dataset (not its
     * location), model, training recipe and axes. Two specs with equal JSON run the same trials.
     */
    public String canonicalJson() {
        Config identity = config.withoutPath("output").withoutPath("dataset.path");
        // protocol keys at their defaults are left out, so a spec written before they existed keeps its sweep id
        // (and its results folder); what they default to is what such a spec ran
        for (String key : PROTOCOL_KEYS) {
            if (identity.hasPathOrNull(key) && java.util.Objects.equals(unwrapped(identity, key),
                    unwrapped(DEFAULTS, key))) {
                identity = identity.withoutPath(key);
            }
        }
        return identity.root().render(ConfigRenderOptions.concise().setJson(true));
    }

    private static Object unwrapped(Config c, String key) {
        return c.getIsNull(key) ? null : c.getValue(key).unwrapped();
    }

    /** The full resolved spec as JSON (for spec.json). */
    public String resolvedJson() {
        return config.root().render(ConfigRenderOptions.concise().setFormatted(true).setJson(true));
    }

    /** A short hash of {@link #canonicalJson()}: the same spec always gives the same id. */
    public String sweepId() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(canonicalJson().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A one-line description for logs. */
    public String describe() {
        return String.format(Locale.ROOT, "sweep %s (%s): %d trials of %s on %s, %d epoch(s), %s", name, sweepId(),
                trials.size(), model.id() + (model.isResidual() ? "-" + depths.stream().map(String::valueOf)
                        .collect(java.util.stream.Collectors.joining("/")) : ""), data.name(), epochs,
                optimizers.stream().map(Protocol.Optimizer::id).collect(java.util.stream.Collectors.joining("/"))
                        + (protocol.lrSchedule() == io.gnsweep.optim.LrSchedule.Kind.CONSTANT ? "" : ", " + protocol.lrSchedule().id() + " schedule")
                        + (protocol.augment() == Protocol.Augment.NONE ? "" : ", " + protocol.augment().id()));
    }
}
