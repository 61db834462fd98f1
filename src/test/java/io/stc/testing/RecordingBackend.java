package io.stc.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback backend that records every byte a proxy sends it, request by request, and answers
 * each request with a small 200. It parses just enough (head, then Content-Length or chunked
 * framing) to know where each request ends, so two requests in one write show up as two; bytes
 * left over when a connection closes are recorded as an unfinished request.
 */
public final class RecordingBackend implements AutoCloseable {
  private static final byte[] OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] OK_HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

  private final ServerSocket server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "recording-backend");
    t.setDaemon(true);
    return t;
  });
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
  /** Each request as it arrived (ISO-8859-1), in order of arrival; unfinished ones end with the close. */
  public final List<String> requests = new CopyOnWriteArrayList<>();
  /** Heads that are not a clean HTTP/1.1 request head: what no proxy should ever send. */
  public final List<String> violations = new CopyOnWriteArrayList<>();
  private static final java.util.regex.Pattern REQUEST_LINE =
      java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+ [\\x21-\\x7e]+ HTTP/1\\.1");
  private static final java.util.regex.Pattern FIELD_LINE =
      java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+: [^\\x00-\\x08\\x0a-\\x1f\\x7f]*");

  public RecordingBackend() throws IOException {
    server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    threads.execute(this::accept);
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Connections the proxy opened to this backend, in all. */
  public int connectionsAccepted() {
    return accepted.get();
  }

  /** Connections open now. */
  public int connectionsOpen() {
    return open.size();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        accepted.incrementAndGet();
        open.add(s);
        threads.execute(() -> serve(s));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      Reader r = new Reader(in);
      while (true) {
        String head = r.head();
        if (head == null) {
          return;
        }
        check(head);
        StringBuilder request = new StringBuilder(head);
        try {
          readBody(r, head, request);
        } finally {
          requests.add(request.toString());
        }
        out.write(head.startsWith("HEAD ") ? OK_HEAD : OK);
        out.flush();
      }
    } catch (IOException e) {
      // the proxy closed the connection
    } finally {
      open.remove(s);
    }
  }

  private void check(String head) {
    String[] lines = head.substring(0, head.length() - 4).split("\r\n", -1);
    boolean ok = REQUEST_LINE.matcher(lines[0]).matches();
    for (int i = 1; i < lines.length && ok; i++) {
      ok = FIELD_LINE.matcher(lines[i]).matches();
    }
    if (!ok) {
      violations.add(head);
    }
  }

  private static void readBody(Reader r, String head, StringBuilder request) throws IOException {
    String lower = head.toLowerCase(Locale.ROOT);
    if (lower.contains("\r\ntransfer-encoding: chunked\r\n")) {
      while (true) {
        String line = r.line();
        request.append(line);
        long size = Long.parseLong(line.trim().split(";")[0], 16);
        if (size == 0) {
          String t;
          do {
            t = r.line();
            request.append(t);
          } while (!t.equals("\r\n"));
          return;
        }
        request.append(r.bytes((int) size + 2));
      }
    }
    int at = lower.indexOf("\r\ncontent-length: ");
    if (at >= 0) {
      int end = lower.indexOf("\r\n", at + 2);
      request.append(r.bytes(Integer.parseInt(lower.substring(at + 18, end).trim())));
    }
  }

  /** Requests recorded so far that are not {@code GET /sentinel...}: what a test case sent. */
  public List<String> before(String sentinelPath) {
    List<String> result = new ArrayList<>();
    for (String r : requests) {
      if (r.startsWith("GET " + sentinelPath + " ")) {
        break;
      }
      result.add(r);
    }
    return result;
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : open) {
      s.close();
    }
    threads.shutdownNow();
  }

  /** Bytes from the connection, kept where a read ends mid-request. */
  private static final class Reader {
    private final InputStream in;

    Reader(InputStream in) {
      this.in = in;
    }

    /** The next request head, or null when the connection closed cleanly between requests. */
    String head() throws IOException {
      StringBuilder b = new StringBuilder();
      while (b.length() < 4 || !b.substring(b.length() - 4).equals("\r\n\r\n")) {
        int c = read();
        if (c < 0) {
          if (b.length() == 0) {
            return null;
          }
          throw new SocketException("closed in a head: " + b);
        }
        b.append((char) c);
      }
      return b.toString();
    }

    String line() throws IOException {
      StringBuilder b = new StringBuilder();
      while (b.length() < 2 || !b.substring(b.length() - 2).equals("\r\n")) {
        int c = read();
        if (c < 0) {
          throw new SocketException("closed in a line");
        }
        b.append((char) c);
      }
      return b.toString();
    }

    String bytes(int n) throws IOException {
      byte[] b = in.readNBytes(n);
      if (b.length < n) {
        throw new SocketException("closed in a body");
      }
      return new String(b, StandardCharsets.ISO_8859_1);
    }

    private int read() throws IOException {
      return in.read();
    }
  }
}
