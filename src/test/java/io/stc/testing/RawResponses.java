package io.stc.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Sends raw bytes and reads the HTTP/1.1 responses that come back one by one (interim ones
 * included), so a test sees every status the client got and whether the connection closed after.
 */
public final class RawResponses {
  /** The statuses read, in order, and whether the server closed the connection after the last. */
  public record Result(List<Integer> statuses, boolean closed, String raw) {}

  private RawResponses() {}

  /**
   * Writes {@code request}, then reads until {@code expected} responses came (and, when
   * {@code awaitClose}, until the server closes), or the server closes, or 10 s pass in silence.
   *
   * @param headRequest the (single) request is a HEAD: its response has no body whatever it says
   */
  public static Result exchange(int port, byte[] request, int expected, boolean awaitClose, boolean headRequest) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      List<Integer> statuses = new ArrayList<>();
      boolean closed = false;
      try {
        while (statuses.size() < expected) {
          int status = readResponse(in, raw, headRequest);
          if (status < 0) {
            closed = true;
            break;
          }
          statuses.add(status);
        }
        if (!closed && awaitClose) {
          int c = in.read();
          closed = c < 0;
          if (c >= 0) {
            raw.write(c);
            raw.write(in.readNBytes(Math.max(0, in.available())));
          }
        }
      } catch (SocketTimeoutException e) {
        // silence: report what came
      }
      return new Result(statuses, closed, raw.toString(java.nio.charset.StandardCharsets.ISO_8859_1));
    }
  }

  /** Reads the next whole response on an open connection, as it came; null when the connection closed first. */
  public static String next(InputStream in) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    return readResponse(in, raw, false) < 0 ? null : raw.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  /** Reads one response; -1 when the connection closed before one began. */
  private static int readResponse(InputStream in, ByteArrayOutputStream raw, boolean headRequest) throws IOException {
    String statusLine = line(in, raw);
    if (statusLine == null) {
      return -1;
    }
    int status = Integer.parseInt(statusLine.substring(9, 12));
    long length = -1;
    boolean chunked = false;
    String h;
    while (!(h = line(in, raw)).isEmpty()) {
      String lower = h.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(lower.substring(15).trim());
      } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        chunked = true;
      }
    }
    if (status < 200 || status == 204 || status == 304 || (headRequest && status >= 200)) {
      return status;
    }
    if (chunked) {
      while (true) {
        long size = Long.parseLong(line(in, raw).split(";")[0].trim(), 16);
        if (size == 0) {
          while (!line(in, raw).isEmpty()) {
            // trailers
          }
          return status;
        }
        raw.write(in.readNBytes((int) size));
        line(in, raw);
      }
    }
    if (length >= 0) {
      raw.write(in.readNBytes((int) length));
    } else {
      raw.write(in.readAllBytes());
    }
    return status;
  }

  private static String line(InputStream in, ByteArrayOutputStream raw) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      raw.write(c);
      if (c == '\n' && b.length() > 0 && b.charAt(b.length() - 1) == '\r') {
        return b.substring(0, b.length() - 1);
      }
      b.append((char) c);
    }
    return b.length() == 0 ? null : b.toString();
  }
}
