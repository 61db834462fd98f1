package io.stc.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads what a client received on one connection, closed by the server, as RFC 9112 frames it:
 * the final responses to the requests sent (interim 1xx ones skipped), each framed without
 * ambiguity, and nothing after the last. Any departure is reported as a violation, not repaired.
 */
public final class StrictResponses {
  /**
   * One final response.
   *
   * @param complete its body ended as its framing says; false when the connection closed inside it
   */
  public record Response(int status, Map<String, List<String>> fields, byte[] body, boolean complete) {
    public String field(String name) {
      List<String> v = fields.get(name);
      return v == null ? null : v.get(0);
    }

    public String bodyText() {
      return new String(body, StandardCharsets.ISO_8859_1);
    }
  }

  /** The responses read, and the first violation of HTTP/1.1's framing met (null when none). */
  public record Result(List<Response> responses, String violation) {}

  private final byte[] in;
  private int pos;

  private StrictResponses(byte[] in) {
    this.in = in;
  }

  /** Parses {@code stream}, all a connection delivered before it closed; {@code headRequests} says which requests were HEADs. */
  public static Result parse(byte[] stream, List<Boolean> headRequests) {
    return parse(stream, headRequests, headRequests.stream().map(h -> false).toList());
  }

  /** As {@link #parse(byte[], List)}; {@code http10Requests} says which requests were HTTP/1.0 (no chunked answer for them). */
  public static Result parse(byte[] stream, List<Boolean> headRequests, List<Boolean> http10Requests) {
    StrictResponses p = new StrictResponses(stream);
    List<Response> out = new ArrayList<>();
    try {
      for (int i = 0; i < headRequests.size(); i++) {
        if (p.pos == p.in.length) {
          break;
        }
        Response r = p.response(headRequests.get(i), http10Requests.get(i));
        out.add(r);
        if (!r.complete()) {
          break;
        }
      }
      if (p.pos < p.in.length && (out.isEmpty() || out.get(out.size() - 1).complete())) {
        return new Result(out, "bytes after the last response: " + p.rest());
      }
      return new Result(out, null);
    } catch (Violation v) {
      return new Result(out, v.getMessage() + " at byte " + p.pos + ": " + p.rest());
    }
  }

  private Response response(boolean headRequest, boolean http10Request) {
    while (true) {
      String statusLine = line("status line");
      if (!statusLine.matches("HTTP/1\\.1 [1-5][0-9][0-9] [\\x20-\\x7e]*")) {
        throw new Violation("bad status line '" + statusLine + "'");
      }
      int status = Integer.parseInt(statusLine.substring(9, 12));
      Map<String, List<String>> fields = new LinkedHashMap<>();
      String h;
      while (!(h = line("field")).isEmpty()) {
        int colon = h.indexOf(':');
        if (colon <= 0 || !h.substring(0, colon).matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
          throw new Violation("bad field line '" + h + "'");
        }
        fields.computeIfAbsent(h.substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(h.substring(colon + 1).trim());
      }
      if (status == 101) {
        throw new Violation("101 to a request that asked for no upgrade");
      }
      if (status < 200) {
        continue;
      }
      if (headRequest || status == 204 || status == 304) {
        // No body follows whatever the fields say (they describe what a GET would get).
        return new Response(status, fields, new byte[0], true);
      }
      List<String> lengths = fields.get("content-length");
      List<String> codings = fields.get("transfer-encoding");
      if (lengths != null && codings != null) {
        throw new Violation("both Content-Length and Transfer-Encoding");
      }
      if (lengths != null && (lengths.size() != 1 || !lengths.get(0).matches("[0-9]{1,15}"))) {
        throw new Violation("Content-Length " + lengths);
      }
      boolean chunked = codings != null && String.join(",", codings).toLowerCase(Locale.ROOT).matches("(.*,)?\\s*chunked");
      if (codings != null && !chunked) {
        throw new Violation("Transfer-Encoding " + codings + " does not end in chunked (only a close could end it)");
      }
      if (codings != null && http10Request) {
        throw new Violation("a chunked answer to an HTTP/1.0 request");
      }
      if (codings != null) {
        return chunked(status, fields);
      }
      if (lengths != null) {
        int n = Integer.parseInt(lengths.get(0));
        int take = Math.min(n, in.length - pos);
        byte[] body = java.util.Arrays.copyOfRange(in, pos, pos + take);
        pos += take;
        return new Response(status, fields, body, take == n);
      }
      // Delimited by the close: the rest is its body, and the response has no known end.
      byte[] body = java.util.Arrays.copyOfRange(in, pos, in.length);
      pos = in.length;
      return new Response(status, fields, body, true);
    }
  }

  private Response chunked(int status, Map<String, List<String>> fields) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      if (pos == in.length) {
        return new Response(status, fields, body.toByteArray(), false);
      }
      String sizeLine = lineOrNull();
      if (sizeLine == null) {
        return new Response(status, fields, body.toByteArray(), false);
      }
      String size = sizeLine.split(";", 2)[0];
      if (!size.matches("[0-9A-Fa-f]{1,8}")) {
        throw new Violation("bad chunk size line '" + sizeLine + "'");
      }
      int n = Integer.parseInt(size, 16);
      if (n == 0) {
        String t;
        while ((t = lineOrNull()) != null && !t.isEmpty()) {
          if (t.indexOf(':') <= 0) {
            throw new Violation("bad trailer line '" + t + "'");
          }
        }
        return new Response(status, fields, body.toByteArray(), t != null);
      }
      int take = Math.min(n, in.length - pos);
      body.write(in, pos, take);
      pos += take;
      if (take < n) {
        return new Response(status, fields, body.toByteArray(), false);
      }
      if (pos == in.length) {
        return new Response(status, fields, body.toByteArray(), false);
      }
      if (in.length - pos < 2) {
        pos = in.length;
        return new Response(status, fields, body.toByteArray(), false);
      }
      if (in[pos] != '\r' || in[pos + 1] != '\n') {
        throw new Violation("chunk data longer than its size");
      }
      pos += 2;
    }
  }

  /** A CRLF-terminated line; a head cut off by the close is a violation (a response must not end inside its head). */
  private String line(String what) {
    String l = lineOrNull();
    if (l == null) {
      throw new Violation("the connection closed inside a " + what);
    }
    return l;
  }

  private String lineOrNull() {
    for (int i = pos; i + 1 < in.length; i++) {
      if (in[i] == '\r' && in[i + 1] == '\n') {
        String l = new String(in, pos, i - pos, StandardCharsets.ISO_8859_1);
        pos = i + 2;
        return l;
      }
      if (in[i] == '\n') {
        throw new Violation("bare LF");
      }
    }
    pos = in.length;
    return null;
  }

  private String rest() {
    String r = new String(in, pos, Math.min(in.length - pos, 120), StandardCharsets.ISO_8859_1);
    return r.replace("\r", "\\r").replace("\n", "\\n");
  }

  private static final class Violation extends RuntimeException {
    Violation(String message) {
      super(message, null, false, false);
    }
  }
}
