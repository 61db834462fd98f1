package io.stc.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Sends raw bytes over a socket and reads what comes back until the peer closes: for malformed input. */
public final class RawHttp {
  private RawHttp() {}

  /** Writes {@code request} and returns everything read until close (or 10 s of silence). */
  public static String exchange(int port, String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
      }
      return out.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /**
   * Writes {@code request} and returns the status code of the response head, without waiting for
   * the body (which may never end, as with an event stream); -1 when the peer closed without one.
   * Throws {@link java.net.SocketTimeoutException} after 10 s of silence.
   */
  public static int status(int port, byte[] request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      StringBuilder head = new StringBuilder();
      int c;
      while (head.indexOf("\r\n") < 0 && (c = in.read()) >= 0) {
        head.append((char) c);
      }
      String line = head.toString();
      if (!line.startsWith("HTTP/1.") || line.length() < 12) {
        return -1;
      }
      return Integer.parseInt(line.substring(9, 12));
    }
  }
}
