package io.stc.admin;

import java.util.Map;

/** Something that happened in the control plane (a backend went down, the algorithm changed, ...), as shown to operators. */
public record ControlEvent(String type, long epochMillis, String message, Map<String, Object> data) {
  public ControlEvent {
    data = Map.copyOf(data);
  }
}
