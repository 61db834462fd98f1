package io.stc.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The bodies stc's own answers carry instead of its JSON one, by status ({@code error_pages}), as
 * nginx's {@code error_page} and HAProxy's {@code errorfile} serve a maintenance page: read
 * whole when the config is, so a missing file stops a start or a reload, never a request.
 */
public final class ErrorPages {
  public static final ErrorPages NONE = new ErrorPages(Map.of());

  /** The statuses stc answers with itself (every {@code ProxyFailure}'s). */
  public static final Set<Integer> STATUSES = Set.of(400, 403, 408, 413, 414, 417, 429, 431, 501, 502, 503, 504, 505);

  /** The largest page: an answer is written from memory, whole. */
  public static final long MAX_BYTES = 1 << 20;

  /** One page: its file, its type (from the file's extension) and its bytes. */
  public record Page(String file, String contentType, byte[] body) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Page p && p.file.equals(file) && p.contentType.equals(contentType) && Arrays.equals(p.body, body);
    }

    @Override
    public int hashCode() {
      return file.hashCode() * 31 + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
      return file + " (" + contentType + ", " + body.length + " bytes)";
    }
  }

  private final Map<Integer, Page> pages;

  public ErrorPages(Map<Integer, Page> pages) {
    this.pages = Collections.unmodifiableMap(new TreeMap<>(pages));
  }

  /** The page for {@code status}, or null when its answer keeps the JSON body. */
  public Page page(int status) {
    return pages.get(status);
  }

  /** Every page by status. */
  public Map<Integer, Page> pages() {
    return pages;
  }

  /** Reads {@code file} as the page for an answer; IllegalArgumentException saying what is wrong with it. */
  public static Page read(String file) {
    Path p = Path.of(file.trim());
    try {
      String type = contentType(p.getFileName().toString());
      long size = Files.size(p);
      if (size > MAX_BYTES) {
        throw new IllegalArgumentException(p + " holds " + size + " bytes; a page may hold at most 1MiB");
      }
      return new Page(p.toString(), type, Files.readAllBytes(p));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + p + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null || e.getMessage().equals(p.toString()) ? "" : " " + e.getMessage()));
    }
  }

  /** The type browsers and API clients expect for a page of this name. */
  static String contentType(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    int dot = n.lastIndexOf('.');
    String ext = dot < 0 ? "" : n.substring(dot + 1);
    return switch (ext) {
      case "html", "htm" -> "text/html; charset=utf-8";
      case "json" -> "application/json";
      case "xml" -> "application/xml";
      case "txt", "text" -> "text/plain; charset=utf-8";
      default -> throw new IllegalArgumentException(
          "name a file ending .html, .htm, .json, .xml or .txt (its type is told by its name), got '" + name + "'");
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ErrorPages e && e.pages.equals(pages);
  }

  @Override
  public int hashCode() {
    return pages.hashCode();
  }

  @Override
  public String toString() {
    return pages.toString();
  }
}
