package io.stc.config;

/**
 * A configuration problem, with a message meant for the user that names the file, the line and
 * the key path, like {@code stc.yaml:7: health.interval: expected a duration like 2s or 500ms, got 'abc'}.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A problem with the file as a whole, such as it not existing. */
  public ConfigException(String file, String message) {
    super(file + ": " + message);
  }

  /** A problem at one line; {@code path} is the key path ("" for the whole document). */
  public ConfigException(String file, int line, String path, String message) {
    super(file + ":" + line + ": " + (path.isEmpty() ? "" : path + ": ") + message);
  }
}
