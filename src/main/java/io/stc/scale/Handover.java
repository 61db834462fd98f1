package io.stc.scale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Objects;

/**
 * An instance one stc process hands to another that takes its place ({@code stc serve --takeover}),
 * with what the provider needs to find it again: for a process, its pid, start time and log file;
 * for a container, its id.
 * Sent between the two as one JSON line.
 */
public record Handover(Instance instance, String handle, String spec) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** @param spec what the instance was made from ({@link InstanceProvider#spec()}) */
  public Handover {
    Objects.requireNonNull(instance);
    Objects.requireNonNull(handle);
    Objects.requireNonNull(spec);
  }

  /** One line of JSON. */
  public String toJson() {
    ObjectNode o = JSON.createObjectNode()
        .put("name", instance.name())
        .put("host", instance.host())
        .put("port", instance.port())
        .put("handle", handle)
        .put("spec", spec);
    return o.toString();
  }

  /** Reads what {@link #toJson()} wrote; IOException naming what is missing. */
  public static Handover fromJson(String line) throws IOException {
    JsonNode o;
    try {
      o = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IOException("not an instance: " + line);
    }
    for (String field : new String[] {"name", "host", "handle"}) {
      if (o == null || !o.path(field).isTextual()) {
        throw new IOException("an instance without " + field + ": " + line);
      }
    }
    if (!o.path("port").canConvertToInt() || o.path("port").asInt() < 1 || o.path("port").asInt() > 65535) {
      throw new IOException("an instance without a port: " + line);
    }
    return new Handover(new Instance(o.get("name").asText(), o.get("host").asText(), o.get("port").asInt()), o.get("handle").asText(),
        o.path("spec").asText(""));
  }
}
