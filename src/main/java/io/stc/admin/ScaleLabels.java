package io.stc.admin;

import io.stc.scale.ScaleEvent;
import java.util.Map;

/** How scaling events are named on the admin side: {@code scale_up}, {@code scale_ready}, ... with their details. */
final class ScaleLabels {
  private ScaleLabels() {}

  static String type(ScaleEvent.Kind kind) {
    return switch (kind) {
      case SCALED_UP -> "scale_up";
      case SCALED_DOWN -> "scale_down";
      case READY -> "scale_ready";
      case STOPPED -> "scale_stopped";
      case CRASHED -> "scale_crashed";
      case FAILED -> "scale_failed";
    };
  }

  static Map<String, Object> data(ScaleEvent e) {
    return Map.of("instance", e.instance(), "total", e.total(), "reason", e.reason() == null ? "" : e.reason());
  }
}
