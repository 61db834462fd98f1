package io.stc.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a YAML or JSON file into a {@link ConfigNode} tree by walking Jackson's streaming parser,
 * keeping each value's line. Files ending in .json go through the JSON parser so JSON mistakes get
 * JSON error messages; everything else is YAML (which also accepts JSON).
 */
final class ConfigParser {
  private static final JsonFactory JSON = new JsonFactory();
  private static final YAMLFactory YAML = new YAMLFactory();
  private static final Pattern CLASS_NAME = Pattern.compile("(?:[a-z][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error): ");

  private final String file;
  private final JsonParser parser;

  private ConfigParser(String file, JsonParser parser) {
    this.file = file;
    this.parser = parser;
  }

  /** The tree of {@code file}; an empty file gives a null node. */
  static ConfigNode parse(Path file) {
    String name = file.toString();
    byte[] bytes = read(file, name);
    boolean json = file.getFileName() != null
        && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
    JsonParser p;
    try {
      p = (json ? JSON : YAML).createParser(bytes);
    } catch (IOException e) {
      throw new ConfigException(name, "cannot read: " + e.getMessage());
    }
    try (p) {
      if (p.nextToken() == null) {
        return ConfigNode.empty(name, 1, "");
      }
      ConfigParser reader = new ConfigParser(name, p);
      ConfigNode root = reader.node("", reader.line());
      if (p.nextToken() != null) {
        throw new ConfigException(name, reader.line(), "", "unexpected content after the end (one document per file)");
      }
      return root;
    } catch (JsonProcessingException e) {
      throw syntaxError(name, e, p.currentLocation());
    } catch (IOException e) {
      throw new ConfigException(name, "cannot read: " + e.getMessage());
    }
  }

  private static byte[] read(Path file, String name) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(name, "no such file");
    } catch (AccessDeniedException e) {
      throw new ConfigException(name, "permission denied");
    } catch (IOException e) {
      throw new ConfigException(name, Files.isDirectory(file) ? "is a directory, not a file" : "cannot read: " + e.getMessage());
    }
  }

  private int line() {
    return parser.currentTokenLocation().getLineNr();
  }

  /** The value at the current token; {@code line} is where the user sees it (its key's line for mapping values). */
  private ConfigNode node(String path, int line) throws IOException {
    JsonToken token = parser.currentToken();
    if (token == null) {
      throw new ConfigException(file, line, path, "unexpected end of file");
    }
    if (parser instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
      throw new ConfigException(file, line, path, "YAML aliases (*name) are not supported; write the value out");
    }
    switch (token) {
      case START_OBJECT -> {
        Map<String, ConfigNode> entries = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String key = parser.currentName();
          int keyLine = line();
          String childPath = ConfigNode.childPath(path, key);
          parser.nextToken();
          if (entries.putIfAbsent(key, node(childPath, keyLine)) != null) {
            throw new ConfigException(file, keyLine, childPath, "duplicate key");
          }
        }
        return ConfigNode.map(file, line, path, entries);
      }
      case START_ARRAY -> {
        List<ConfigNode> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          items.add(node(ConfigNode.itemPath(path, items.size()), line()));
        }
        return ConfigNode.list(file, line, path, items);
      }
      case VALUE_NULL -> {
        return ConfigNode.empty(file, line, path);
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return ConfigNode.scalar(file, line, path, parser.getText(), token == JsonToken.VALUE_TRUE);
      }
      default -> {
        return ConfigNode.scalar(file, line, path, parser.getText(), null);
      }
    }
  }

  private static ConfigException syntaxError(String file, JsonProcessingException e, JsonLocation current) {
    // SnakeYAML knows where the problem is and what construct it was in; Jackson's location is
    // only where the last good token started.
    if (e.getCause() instanceof MarkedYAMLException y && y.getProblemMark() != null) {
      String context = y.getContext() == null ? "" : " (" + y.getContext()
          + (y.getContextMark() == null ? "" : " started at line " + (y.getContextMark().getLine() + 1)) + ")";
      return new ConfigException(file, y.getProblemMark().getLine() + 1, "", "syntax error: " + withoutClassNames(y.getProblem()) + context);
    }
    JsonLocation at = e.getLocation() != null ? e.getLocation() : current;
    // Jackson mentions "[Source: REDACTED ...; line: 1, column: 2]" inside some messages; keep only the position.
    String message = e.getOriginalMessage().replaceAll("\\[Source: [^;]*; ", "[");
    return new ConfigException(file, at.getLineNr(), "", "syntax error: " + withoutClassNames(message));
  }

  /** "Invalid UTF-8 start byte 0xff" rather than "java.io.CharConversionException: Invalid ...": users are not Java programmers. */
  private static String withoutClassNames(String message) {
    return message == null ? "unreadable input" : CLASS_NAME.matcher(message).replaceAll("");
  }
}
