package io.stc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class PackageDependenciesTest {
  private static final Path ROOT = Path.of("src", "main", "java", "io", "stc");
  // An import or a fully qualified use of a type in another stc package.
  private static final Pattern REFERENCE = Pattern.compile("\\bio\\.stc\\.([a-z]+)\\.[A-Za-z]");
  // A class name in a string (a command line, say) is not a compile-time dependency.
  private static final Pattern STRING = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"");

  @Test
  void packagesDependOneWay() throws IOException {
    Map<String, Set<String>> uses = uses();
    assertThat(uses).containsKeys("scale", "kubernetes", "balance");
    assertThat(uses.get("kubernetes")).contains("scale");
    List<String> cycles = new ArrayList<>();
    for (String from : uses.keySet()) {
      for (String to : uses.get(from)) {
        if (from.compareTo(to) < 0 && reaches(uses, to, from, new TreeSet<>())) {
          cycles.add(from + " <-> " + to);
        }
      }
    }
    assertThat(cycles).as("package cycles (each a pair that reach each other)").isEmpty();
  }

  /** For each package under io.stc, the other io.stc packages its main sources name. */
  private static Map<String, Set<String>> uses() throws IOException {
    Map<String, Set<String>> uses = new TreeMap<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
        Path relative = ROOT.relativize(file);
        if (relative.getNameCount() < 2) {
          continue;
        }
        String pkg = relative.getName(0).toString();
        Set<String> targets = uses.computeIfAbsent(pkg, k -> new TreeSet<>());
        Matcher m = REFERENCE.matcher(STRING.matcher(Files.readString(file)).replaceAll("\"\""));
        while (m.find()) {
          if (!m.group(1).equals(pkg)) {
            targets.add(m.group(1));
          }
        }
      }
    }
    return uses;
  }

  private static boolean reaches(Map<String, Set<String>> uses, String from, String to, Set<String> seen) {
    if (from.equals(to)) {
      return true;
    }
    if (!seen.add(from)) {
      return false;
    }
    for (String next : uses.getOrDefault(from, Set.of())) {
      if (reaches(uses, next, to, seen)) {
        return true;
      }
    }
    return false;
  }
}
