package io.stc.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A mapping from a config file whose keys have been checked against the known ones, read key by
 * key: each reader returns the default when the key is absent and fails at the key's line when
 * the value is wrong.
 */
final class ConfigMap {
  private static final String DURATION = "a duration like 2s or 500ms";

  private final ConfigNode node;
  private final Map<String, ConfigNode> entries;
  private final List<String> known;

  ConfigMap(ConfigNode node, Map<String, ConfigNode> entries, List<String> known) {
    this.node = node;
    this.entries = entries;
    this.known = known;
  }

  /** The value at {@code key}, if the file has one. */
  Optional<ConfigNode> get(String key) {
    if (!known.contains(key)) {
      // Reading a key that asMap() did not declare would let the unknown-key check miss it.
      throw new IllegalStateException("key '" + key + "' not declared for " + node.path());
    }
    return Optional.ofNullable(entries.get(key));
  }

  /** The value at {@code key}, which must be present. */
  ConfigNode require(String key) {
    return get(key)
        .orElseThrow(() -> new ConfigException(
            node.file(), node.line(), ConfigNode.childPath(node.path(), key), "missing (required)"));
  }

  /** The nested mapping at {@code key} with its own known keys; empty when absent. */
  ConfigMap section(String key, String... knownKeys) {
    return get(key)
        .orElseGet(() -> ConfigNode.empty(node.file(), node.line(), ConfigNode.childPath(node.path(), key)))
        .asMap(knownKeys);
  }

  /** The items of the list at {@code key}; empty when absent. */
  List<ConfigNode> list(String key) {
    return get(key).map(ConfigNode::asList).orElse(List.of());
  }

  /** The scalar at {@code key} converted by {@code parser} (see {@link ConfigNode#as}). */
  <T> T value(String key, String expected, Function<String, T> parser, T dflt) {
    return get(key).map(n -> n.as(expected, parser)).orElse(dflt);
  }

  String string(String key, String dflt) {
    return get(key).map(ConfigNode::asString).orElse(dflt);
  }

  /** A string that must not be blank, trimmed. */
  String nonEmptyString(String key, String dflt) {
    return value(key, "a non-empty string", ConfigMap::nonEmpty, dflt);
  }

  boolean bool(String key, boolean dflt) {
    return get(key).map(ConfigNode::asBoolean).orElse(dflt);
  }

  int integer(String key, int min, int max, int dflt) {
    return get(key).map(n -> n.asInt(min, max)).orElse(dflt);
  }

  /** A number from {@code min} to {@code max}, both included. */
  double decimal(String key, double min, double max, double dflt) {
    String expected = max == Double.POSITIVE_INFINITY
        ? "a number >= " + plain(min)
        : "a number from " + plain(min) + " to " + plain(max);
    return value(key, expected, s -> {
      double v;
      try {
        v = Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected " + expected + ", got '" + s + "'");
      }
      if (!(v >= min && v <= max)) {
        throw new IllegalArgumentException("expected " + expected + ", got " + s.trim());
      }
      return v;
    }, dflt);
  }

  /** A number above zero. */
  double positiveDecimal(String key, double dflt) {
    return value(key, "a number > 0", s -> {
      double v;
      try {
        v = Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected a number > 0, got '" + s + "'");
      }
      if (!(v > 0) || Double.isInfinite(v)) {
        throw new IllegalArgumentException("expected a number > 0, got " + s.trim());
      }
      return v;
    }, dflt);
  }

  /** A list of non-empty strings; absent gives {@code dflt}, an empty list is an error. */
  List<String> stringList(String key, List<String> dflt) {
    Optional<ConfigNode> node = get(key);
    if (node.isEmpty()) {
      return dflt;
    }
    List<ConfigNode> items = node.get().asList();
    if (items.isEmpty()) {
      throw node.get().fail("must not be empty");
    }
    return items.stream().map(n -> n.as("a string", s -> {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("must not be empty");
      }
      return s;
    })).toList();
  }

  /** Whether the file sets {@code key}. */
  boolean has(String key) {
    return get(key).isPresent();
  }

  /** An error at {@code key}'s line when the file sets it, else at this mapping's line. */
  ConfigException fail(String key, String message) {
    return get(key)
        .map(n -> n.fail(message))
        .orElseGet(() -> new ConfigException(node.file(), node.line(), ConfigNode.childPath(node.path(), key), message));
  }

  /** {@code 2} rather than {@code 2.0}, for messages. */
  static String plain(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  /** The longest duration any key takes: longer is a typo, and would overflow timers. */
  static final Duration MAX_DURATION = Duration.ofDays(365);

  /** A duration of zero up to {@link #MAX_DURATION}. */
  Duration duration(String key, Duration dflt) {
    return value(key, DURATION, ConfigMap::boundedDuration, dflt);
  }

  private static Duration boundedDuration(String s) {
    Duration d = HumanDuration.parse(s);
    if (d.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException("expected at most 365 days (8760h), got '" + s + "'");
    }
    return d;
  }

  /** A duration of more than zero. */
  Duration positiveDuration(String key, Duration dflt) {
    return value(key, DURATION, s -> {
      Duration d = boundedDuration(s);
      if (d.isZero()) {
        throw new IllegalArgumentException("must be more than 0, got '" + s + "'");
      }
      return d;
    }, dflt);
  }

  /** A size in bytes, from {@code min} to {@code max}. */
  long size(String key, long min, long max, long dflt) {
    return value(key, "a size like 8KiB or 1MiB", s -> {
      long bytes = ByteSize.parse(s);
      if (bytes < min || bytes > max) {
        throw new IllegalArgumentException(
            "expected a size from " + ByteSize.format(min) + " to " + ByteSize.format(max) + ", got '" + s + "'");
      }
      return bytes;
    }, dflt);
  }

  /** A size in bytes, from 1 to Integer.MAX_VALUE. */
  int size(String key, int dflt) {
    return value(key, "a size like 8KiB or 1MiB", s -> {
      long bytes = ByteSize.parse(s);
      if (bytes < 1 || bytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("expected a size from 1 byte to 2GiB - 1, got '" + s + "'");
      }
      return (int) bytes;
    }, dflt);
  }

  /** A size in bytes of at least {@code min}, beyond the range of {@link #size}. */
  long bytes(String key, long min, long dflt) {
    return value(key, "a size like 256MiB or 1GiB", s -> {
      long bytes = ByteSize.parse(s);
      if (bytes < min) {
        throw new IllegalArgumentException("expected at least " + min + " bytes, got '" + s + "'");
      }
      return bytes;
    }, dflt);
  }

  static String nonEmpty(String s) {
    if (s.isBlank()) {
      throw new IllegalArgumentException("must not be empty");
    }
    return s.trim();
  }
}
