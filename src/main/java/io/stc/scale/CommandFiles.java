package io.stc.scale;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The files an instance command runs: its program (found on {@code PATH} when named bare), a
 * {@code java} command's {@code -jar} and class path, an interpreter's script; and their sizes and
 * times as one fingerprint, so a new build written over the same path tells as a new version.
 * Data files the command names (a config, a log) are not counted: they change without the code.
 */
final class CommandFiles {
  /** Programs whose first argument that names a file is the code they run. */
  private static final Set<String> INTERPRETERS = Set.of(
      "python", "python3", "node", "bun", "deno", "ruby", "perl", "php", "sh", "bash", "dash", "zsh");

  private CommandFiles() {}

  /** The files and directories of the command's {@code -cp} (or its {@code -jar}). */
  static List<Path> classPath(List<String> command) {
    List<Path> out = new ArrayList<>();
    for (int i = 1; i < command.size() - 1; i++) {
      String a = command.get(i);
      if (a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path") || a.equals("-jar")) {
        for (String element : command.get(i + 1).split(File.pathSeparator)) {
          out.add(Path.of(element));
        }
      }
    }
    return out;
  }

  /** The program and the code it runs, as far as the command shows them. */
  static List<Path> code(List<String> command) {
    List<Path> out = new ArrayList<>();
    if (command.isEmpty()) {
      return out;
    }
    Path program = program(command.get(0));
    if (program != null) {
      out.add(program);
    }
    String name = Path.of(command.get(0)).getFileName().toString();
    if (name.equals("java")) {
      out.addAll(classPath(command));
    } else if (INTERPRETERS.contains(name.replaceFirst("[0-9.]+$", "")) || INTERPRETERS.contains(name)) {
      for (int i = 1; i < command.size(); i++) {
        String a = command.get(i);
        if (!a.startsWith("-") && !a.contains("{") && Files.isRegularFile(Path.of(a))) {
          out.add(Path.of(a));
          break;
        }
      }
    }
    return out;
  }

  /** Each file of {@link #code} with its size and modification time, in order ({@code absent} for one that is not there). */
  static String fingerprint(List<String> command) {
    StringBuilder k = new StringBuilder();
    for (Path f : code(command)) {
      if (k.length() > 0) {
        k.append(' ');
      }
      k.append(f).append(':');
      try {
        if (Files.isDirectory(f)) {
          // A directory of classes changes below it; its own time says little. Named, not measured.
          k.append("dir");
        } else {
          k.append(Files.size(f)).append(':').append(Files.getLastModifiedTime(f).toMillis());
        }
      } catch (IOException e) {
        k.append("absent");
      }
    }
    return k.toString();
  }

  /** A program named bare is looked up on {@code PATH}, as the process's start will; null when not found. */
  private static Path program(String word) {
    if (word.contains("/")) {
      return Path.of(word);
    }
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, word);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
