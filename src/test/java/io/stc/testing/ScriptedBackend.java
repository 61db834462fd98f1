package io.stc.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback backend that answers each request by the script its {@code X-Script} header (else
 * its path, {@code /ID}) names:
 * raw response bytes (well-formed or not) written in pieces, with the request body read first or
 * not, and then the connection kept for the next request, closed, or held without an answer.
 * Any number of connections, each on its own thread; records the script ids it was asked for.
 */
public final class ScriptedBackend implements AutoCloseable {
  /** What the backend does after writing a script's bytes. */
  public enum After { KEEP, CLOSE, HOLD }

  /**
   * One answer: {@code pieces} written one after another, each flushed on its own.
   *
   * @param readBody read the request's body before answering (else answer at once and close after)
   */
  public record Script(List<byte[]> pieces, boolean readBody, After after) {}

  private final ServerSocket server;
  private final Map<String, Script> scripts = new ConcurrentHashMap<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
  /** The script ids of the requests received, in order of arrival; "?" for a request naming none. */
  public final List<String> received = new CopyOnWriteArrayList<>();

  public ScriptedBackend() throws IOException {
    server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "scripted-backend-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Connections open now (the proxy's, until it closes them or they close under it). */
  public int openConnections() {
    return open.get();
  }

  /** Registers the script that requests carrying {@code X-Script: id}, or asking for {@code /id}, get. */
  public void script(String id, Script script) {
    scripts.put(id, script);
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        Thread t = new Thread(() -> serve(s), "scripted-backend-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    open.incrementAndGet();
    try (s) {
      s.setTcpNoDelay(true);
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      ByteArrayOutputStream pending = new ByteArrayOutputStream();
      while (true) {
        String head = readHead(in, pending);
        if (head == null) {
          return;
        }
        String id = field(head, "x-script");
        if (id == null) {
          String[] requestLine = head.substring(0, head.indexOf("\r\n")).split(" ");
          id = requestLine.length == 3 && requestLine[1].startsWith("/") ? requestLine[1].substring(1) : null;
        }
        received.add(id == null ? "?" : id);
        Script script = id == null ? null : scripts.get(id);
        if (script == null) {
          out.write("HTTP/1.1 500 Unknown Script\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
          return;
        }
        if (script.readBody()) {
          readBody(in, pending, head);
        }
        for (byte[] piece : script.pieces()) {
          out.write(piece);
          out.flush();
        }
        if (script.after() == After.HOLD) {
          // No answer: wait for the proxy to give up and close.
          while (in.read() >= 0) {
            // discard
          }
          return;
        }
        if (script.after() == After.CLOSE || !script.readBody()) {
          return;
        }
      }
    } catch (IOException gone) {
      // the proxy closed the connection
    } finally {
      open.decrementAndGet();
      sockets.remove(s);
    }
  }

  /** Reads up to and including the blank line after the head, keeping what follows in {@code pending}; null at the end. */
  private static String readHead(InputStream in, ByteArrayOutputStream pending) throws IOException {
    byte[] buf = new byte[4096];
    while (true) {
      String so = pending.toString(StandardCharsets.ISO_8859_1);
      int end = so.indexOf("\r\n\r\n");
      if (end >= 0) {
        byte[] all = pending.toByteArray();
        pending.reset();
        pending.write(all, end + 4, all.length - end - 4);
        return so.substring(0, end + 4);
      }
      int n = in.read(buf);
      if (n < 0) {
        return null;
      }
      pending.write(buf, 0, n);
    }
  }

  /** Reads the body the head announces (Content-Length, or chunked without trailers), leaving what follows in {@code pending}. */
  private static void readBody(InputStream in, ByteArrayOutputStream pending, String head) throws IOException {
    String te = field(head, "transfer-encoding");
    String cl = field(head, "content-length");
    byte[] buf = new byte[4096];
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      while (!pending.toString(StandardCharsets.ISO_8859_1).contains("\r\n0\r\n\r\n")
          && !pending.toString(StandardCharsets.ISO_8859_1).startsWith("0\r\n\r\n")) {
        int n = in.read(buf);
        if (n < 0) {
          throw new IOException("closed mid-body");
        }
        pending.write(buf, 0, n);
      }
      String so = pending.toString(StandardCharsets.ISO_8859_1);
      int end = so.startsWith("0\r\n\r\n") ? 5 : so.indexOf("\r\n0\r\n\r\n") + 7;
      byte[] all = pending.toByteArray();
      pending.reset();
      pending.write(all, end, all.length - end);
      return;
    }
    long length = cl == null ? 0 : Long.parseLong(cl.trim());
    while (pending.size() < length) {
      int n = in.read(buf);
      if (n < 0) {
        throw new IOException("closed mid-body");
      }
      pending.write(buf, 0, n);
    }
    byte[] all = pending.toByteArray();
    pending.reset();
    pending.write(all, (int) length, all.length - (int) length);
  }

  private static String field(String head, String name) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
