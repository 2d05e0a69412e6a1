package io.gnsweep.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The keys of a defaults file, for tests that must cover every one of them. */
public final class ConfigKeys {
    private ConfigKeys() {}

    /** Every leaf path of the resolved resource, null values included (Config.entrySet leaves them out). */
    public static List<String> of(String resource) {
        return leaves(ConfigFactory.parseResources(resource).resolve().root(), "");
    }

    private static List<String> leaves(ConfigObject o, String prefix) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
            String path = prefix + e.getKey();
            if (e.getValue().valueType() == ConfigValueType.OBJECT) {
                out.addAll(leaves((ConfigObject) e.getValue(), path + "."));
            } else {
                out.add(path);
            }
        }
        return out;
    }
}
