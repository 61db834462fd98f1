package io.stc.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.List;

/** A request's JSON object body read field by field; every problem is an {@link ApiError} naming the field. */
final class JsonBody {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final JsonNode node;

  private JsonBody(JsonNode node) {
    this.node = node;
  }

  /** Parses {@code text}, which must be a JSON object whose keys are all among {@code known}. */
  static JsonBody parse(String text, String... known) {
    if (text == null || text.isBlank()) {
      throw ApiError.badRequest("expected a JSON object body", null);
    }
    JsonNode n;
    try {
      n = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("malformed JSON: " + e.getOriginalMessage(), null);
    }
    if (n == null || !n.isObject()) {
      throw ApiError.badRequest("expected a JSON object body", null);
    }
    List<String> allowed = List.of(known);
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw ApiError.badRequest("unknown field '" + f + "' (known: " + String.join(", ", allowed) + ")", f);
      }
    }
    return new JsonBody(n);
  }

  boolean has(String field) {
    return node.hasNonNull(field);
  }

  String requireString(String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw ApiError.badRequest("missing field '" + field + "'", field);
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw ApiError.badRequest("'" + field + "' must be a non-empty string", field);
    }
    return v.asText().trim();
  }

  int requireInt(String field, int min, int max) {
    if (!has(field)) {
      throw ApiError.badRequest("missing field '" + field + "'", field);
    }
    return integer(field, min, max, 0);
  }

  /** An integer field from {@code min} to {@code max}, or {@code dflt} when absent. */
  int integer(String field, int min, int max, int dflt) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw ApiError.badRequest("'" + field + "' must be an integer from " + min + " to " + max, field);
    }
    int i = v.intValue();
    if (i < min || i > max) {
      throw ApiError.badRequest("'" + field + "' must be an integer from " + min + " to " + max + ", got " + i, field);
    }
    return i;
  }

  /** A boolean field (JSON true or false), or {@code dflt} when absent. */
  boolean bool(String field, boolean dflt) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isBoolean()) {
      throw ApiError.badRequest("'" + field + "' must be true or false", field);
    }
    return v.booleanValue();
  }
}
