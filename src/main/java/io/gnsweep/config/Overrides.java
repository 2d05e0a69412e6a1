package io.gnsweep.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code path=value} command-line overrides layered over a HOCON configuration. Values are HOCON, so
 * {@code axes.groups=[4,8]} and {@code dataset.train-limit=null} work. A path the base configuration does
 * not have is refused, naming it, so a typo never silently does nothing.
 */
public final class Overrides {
    private Overrides() {}

    /** Applies the overrides in order (a later one wins) and resolves substitutions. */
    public static Config apply(Config base, List<String> overrides) {
        Config result = base;
        for (String arg : overrides) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("expected path=value, got '" + arg + "'");
            }
            String path = arg.substring(0, eq).trim();
            String value = arg.substring(eq + 1).trim();
            try {
                if (!base.hasPathOrNull(path)) {
                    throw new UsageException("unknown key '" + path + "' in '" + arg + "'");
                }
                Config one;
                try {
                    one = ConfigFactory.parseString(path + " = " + (value.isEmpty() ? "\"\"" : value));
                } catch (ConfigException e) {
                    // not valid HOCON (e.g. a path with odd characters): take it as a plain string
                    one = ConfigFactory.parseString(path + " = " + quote(value));
                }
                result = one.withFallback(result);
            } catch (ConfigException.BadPath e) {
                throw new UsageException("bad key '" + path + "' in '" + arg + "'");
            }
        }
        try {
            return result.resolve();
        } catch (ConfigException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** An optional positive count: null when the value is null. */
    public static Integer optionalInt(Config c, String path) {
        if (c.getIsNull(path)) {
            return null;
        }
        return getInt(c, path);
    }

    /**
     * An int, or a UsageException naming the key and the value. A fractional number (1.5) is refused, not
     * truncated as Typesafe Config's {@code getInt} would.
     */
    public static int getInt(Config c, String path) {
        try {
            if (c.getIsNull(path)) {
                throw new UsageException(path + " = null: expected a whole number");
            }
            return wholeNumber(c.getValue(path), path, "a whole number");
        } catch (ConfigException e) {
            throw new UsageException(path + " = " + render(c, path) + ": expected a whole number");
        }
    }

    /**
     * A list of ints (a single value counts as a list of one), each a whole number, or a UsageException naming
     * the key and the value.
     */
    public static List<Integer> getIntList(Config c, String path) {
        if (!c.hasPathOrNull(path) || c.getIsNull(path)) {
            throw new UsageException(path + " = " + render(c, path) + ": expected a list of whole numbers");
        }
        ConfigValue v = c.getValue(path);
        List<Integer> out = new ArrayList<>();
        if (v.valueType() == ConfigValueType.LIST) {
            for (ConfigValue item : (ConfigList) v) {
                out.add(wholeNumber(item, path, "a list of whole numbers"));
            }
        } else {
            out.add(wholeNumber(v, path, "a list of whole numbers"));
        }
        return out;
    }

    private static int wholeNumber(ConfigValue v, String path, String expected) {
        Object u = v.unwrapped();
        if (u instanceof String s) {
            try {
                u = new java.math.BigDecimal(s.trim());
            } catch (NumberFormatException e) {
                u = null;
            }
        }
        if (u instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
                return (int) d;
            }
        }
        throw new UsageException(path + " = " + v.render(ConfigRenderOptions.concise()) + ": expected " + expected
                + (v.valueType() == ConfigValueType.NUMBER && u instanceof Number ? ", not a fraction" : ""));
    }

    /** A finite number, or a UsageException naming the key and the value. */
    public static double getDouble(Config c, String path) {
        try {
            double d = c.getDouble(path);
            if (!Double.isFinite(d)) {
                throw new UsageException(path + " = " + render(c, path) + ": expected a finite number");
            }
            return d;
        } catch (ConfigException e) {
            throw new UsageException(path + " = " + render(c, path) + ": expected a number");
        }
    }

    /** true or false, or a UsageException naming the key and the value. */
    public static boolean getBoolean(Config c, String path) {
        try {
            return c.getBoolean(path);
        } catch (ConfigException e) {
            throw new UsageException(path + " = " + render(c, path) + ": expected true or false");
        }
    }

    /** A string, or a UsageException naming the key. */
    public static String getString(Config c, String path) {
        try {
            if (c.getValue(path).valueType() == ConfigValueType.OBJECT || c.getValue(path).valueType() == ConfigValueType.LIST) {
                throw new UsageException(path + " = " + render(c, path) + ": expected a single value");
            }
            return c.getString(path);
        } catch (ConfigException e) {
            throw new UsageException(path + ": " + e.getMessage());
        }
    }

    static String render(Config c, String path) {
        return c.hasPathOrNull(path) ? (c.getIsNull(path) ? "null"
                : c.getValue(path).render(ConfigRenderOptions.concise())) : "(missing)";
    }

    /**
     * Runs a parser of the value at {@code key} (an enum's, say); its IllegalArgumentException becomes a
     * UsageException that names the key once, as the user spelled it ({@code train.optimizer}, not
     * {@code optimizer}).
     */
    public static <T> T parse(String key, Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            String bare = key.substring(key.lastIndexOf('.') + 1);
            if (m != null && m.startsWith(bare + " = ")) {
                throw new UsageException(key + m.substring(bare.length()));
            }
            throw new UsageException(key + ": " + m);
        }
    }

    /** The override {@code path=value} with the value taken as a string, whatever characters it holds. */
    public static String literal(String path, String value) {
        return path + "=" + quote(value);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
