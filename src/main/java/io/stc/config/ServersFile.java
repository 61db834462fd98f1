package io.stc.config;

import io.stc.config.StcConfig.BackendConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * The predecessor's servers file: a JSON list like {@code [{"host":"localhost","port":3001,"weight":2}]}
 * (weight optional, default 1). A YAML list works too when the file does not end in .json.
 */
public final class ServersFile {
  private ServersFile() {}

  /** The backends in {@code file}; an empty file gives none. Problems are {@link ConfigException}s. */
  public static List<BackendConfig> load(Path file) {
    return ConfigLoader.backends(ConfigParser.parse(file).asList());
  }
}
