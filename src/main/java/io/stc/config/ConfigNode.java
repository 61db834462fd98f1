package io.stc.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One value of a parsed config file (mapping, list, scalar or null) that remembers its file, line
 * and key path, so every error can point at the place to fix. Jackson's JsonNode forgets locations,
 * hence this small tree.
 */
final class ConfigNode {
  /** The shape of a node. */
  enum Kind {
    MAP,
    LIST,
    SCALAR,
    NULL
  }

  private final Kind kind;
  private final String file;
  private final int line;
  private final String path;
  private final String text;
  private final Boolean bool;
  private final Map<String, ConfigNode> entries;
  private final List<ConfigNode> items;

  private ConfigNode(
      Kind kind, String file, int line, String path, String text, Boolean bool,
      Map<String, ConfigNode> entries, List<ConfigNode> items) {
    this.kind = kind;
    this.file = file;
    this.line = line;
    this.path = path;
    this.text = text;
    this.bool = bool;
    this.entries = entries;
    this.items = items;
  }

  static ConfigNode map(String file, int line, String path, Map<String, ConfigNode> entries) {
    return new ConfigNode(Kind.MAP, file, line, path, null, null, entries, List.of());
  }

  static ConfigNode list(String file, int line, String path, List<ConfigNode> items) {
    return new ConfigNode(Kind.LIST, file, line, path, null, null, Map.of(), List.copyOf(items));
  }

  /** A scalar; {@code bool} is set when the file spelled a boolean (true, false, and YAML's yes/no/on/off). */
  static ConfigNode scalar(String file, int line, String path, String text, Boolean bool) {
    return new ConfigNode(Kind.SCALAR, file, line, path, text, bool, Map.of(), List.of());
  }

  /** An explicit null ({@code key:} with nothing after it), or a stand-in for an absent section. */
  static ConfigNode empty(String file, int line, String path) {
    return new ConfigNode(Kind.NULL, file, line, path, null, null, Map.of(), List.of());
  }

  static String childPath(String parent, String key) {
    return parent.isEmpty() ? key : parent + "." + key;
  }

  static String itemPath(String parent, int index) {
    return parent + "[" + index + "]";
  }

  String file() {
    return file;
  }

  int line() {
    return line;
  }

  String path() {
    return path;
  }

  boolean isNull() {
    return kind == Kind.NULL;
  }

  /** The boolean the file spelled here, or null if this is not a boolean scalar. */
  Boolean bool() {
    return bool;
  }

  /** An error at this node's line and key path. */
  ConfigException fail(String message) {
    return new ConfigException(file, line, path, message);
  }

  /** What this node is, for "expected X, got Y" messages. */
  String describe() {
    return switch (kind) {
      case MAP -> "a mapping";
      case LIST -> "a list";
      case NULL -> "nothing";
      case SCALAR -> "'" + text + "'";
    };
  }

  /** This node as a mapping whose keys must all be among {@code knownKeys}; null reads as empty. */
  ConfigMap asMap(String... knownKeys) {
    if (kind != Kind.MAP && kind != Kind.NULL) {
      throw fail("expected a mapping, got " + describe());
    }
    List<String> known = Arrays.asList(knownKeys);
    for (Map.Entry<String, ConfigNode> e : entries.entrySet()) {
      if (!known.contains(e.getKey())) {
        throw e.getValue().fail("unknown key (known: " + String.join(", ", known) + ")");
      }
    }
    return new ConfigMap(this, entries, known);
  }

  /** This mapping's entries with keys of the user's choosing (environment variables, labels); null reads as empty. */
  Map<String, ConfigNode> asOpenMap() {
    if (kind != Kind.MAP && kind != Kind.NULL) {
      throw fail("expected a mapping, got " + describe());
    }
    return entries;
  }

  /** The items of this list; null reads as an empty list. */
  List<ConfigNode> asList() {
    if (kind != Kind.LIST && kind != Kind.NULL) {
      throw fail("expected a list, got " + describe());
    }
    return new ArrayList<>(items);
  }

  /**
   * This scalar converted by {@code parser}, whose IllegalArgumentException message becomes the
   * error; {@code expected} describes the wanted value when this is not a scalar at all.
   */
  <T> T as(String expected, Function<String, T> parser) {
    if (kind != Kind.SCALAR) {
      throw fail("expected " + expected + ", got " + describe());
    }
    try {
      return parser.apply(text);
    } catch (IllegalArgumentException e) {
      throw fail(e.getMessage());
    }
  }

  String asString() {
    return as("a string", s -> s);
  }

  boolean asBoolean() {
    return as("true or false", s -> {
      if (bool != null) {
        return bool;
      }
      if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
        return Boolean.parseBoolean(s);
      }
      throw new IllegalArgumentException("expected true or false, got '" + s + "'");
    });
  }

  int asInt(int min, int max) {
    String expected = max == Integer.MAX_VALUE
        ? "an integer >= " + min
        : "an integer from " + min + " to " + max;
    return as(expected, s -> {
      long value;
      try {
        value = Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected " + expected + ", got '" + s + "'");
      }
      if (value < min || value > max) {
        throw new IllegalArgumentException("expected " + expected + ", got " + value);
      }
      return (int) value;
    });
  }
}
