package io.umqtt.api;

import java.util.Objects;

/**
 * One MQTT 5 user property: a name and a value, both UTF-8 strings (MQTT 5 section 3.3.2.3.7).
 * A packet may carry the same name several times; the order is kept. Immutable.
 *
 * @since 1.5
 */
public final class UserProperty {
    private final String name;
    private final String value;

    /**
     * @throws IllegalArgumentException when either is null, holds U+0000 or a lone surrogate, or
     *         is longer than 65,535 bytes in UTF-8
     */
    public UserProperty(String name, String value) {
        MqttProperties.checkString("user property name", name);
        MqttProperties.checkString("user property '" + name + "' value", value);
        this.name = name;
        this.value = value;
    }

    public String name() {
        return name;
    }

    public String value() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UserProperty && ((UserProperty) o).name.equals(name)
                && ((UserProperty) o).value.equals(value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, value);
    }

    @Override
    public String toString() {
        return name + "=" + value;
    }
}
