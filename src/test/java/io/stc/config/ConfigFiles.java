package io.stc.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes config text to a file and loads it, for config tests: the config or the error it gives. */
final class ConfigFiles {
  private ConfigFiles() {}

  /** The error loading {@code yaml} as {@code dir/name} gives, without the leading "path:". */
  static String error(Path dir, String name, String yaml) throws IOException {
    Path file = Files.writeString(dir.resolve(name), yaml);
    try {
      ConfigLoader.load(file);
    } catch (ConfigException e) {
      return e.getMessage().substring(file.toString().length() + 1);
    }
    throw new AssertionError("no error for:\n" + yaml);
  }
}
