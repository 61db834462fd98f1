package io.stc.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The JSON schemas in {@code src/test/resources/contracts}, one per route shape: a shape is checked with {@link #assertMatches}. */
public final class Contracts {
  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
  private static final Map<String, Schema> LOADED = new ConcurrentHashMap<>();

  private Contracts() {}

  /** The schema violations of {@code json} against {@code contracts/<name>.schema.json}; empty when it conforms. */
  public static List<String> violations(String name, String json) {
    Schema schema = LOADED.computeIfAbsent(name, Contracts::load);
    return schema.validate(json, InputFormat.JSON).stream().map(Object::toString).toList();
  }

  /** Fails with every violation listed when {@code json} does not conform. */
  public static void assertMatches(String name, String json) {
    assertThat(violations(name, json)).as("%s against contracts/%s.schema.json", json, name).isEmpty();
  }

  private static Schema load(String name) {
    String path = "/contracts/" + name + ".schema.json";
    try (InputStream in = Contracts.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalArgumentException("no schema " + path);
      }
      return REGISTRY.getSchema(new String(in.readAllBytes(), StandardCharsets.UTF_8), InputFormat.JSON);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
