package io.stc.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** An HTTP/1.1 server on a socket file: keep-alive, one thread per connection, answers naming the path asked for. */
public final class UnixHttpServer implements AutoCloseable {
  public final Path path;
  private final ServerSocketChannel server;
  public final AtomicInteger connections = new AtomicInteger();
  public final List<String> heads = new CopyOnWriteArrayList<>();
  /** The connection (numbered from 1 as accepted) each request target came on. */
  public final java.util.Map<String, Integer> connectionOf = new java.util.concurrent.ConcurrentHashMap<>();

  public UnixHttpServer(Path path) throws IOException {
    this.path = path;
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    Thread t = new Thread(this::accept, "unix-server");
    t.setDaemon(true);
    t.start();
  }

  private void accept() {
    while (server.isOpen()) {
      try {
        SocketChannel c = server.accept();
        int number = connections.incrementAndGet();
        Thread t = new Thread(() -> serve(c, number), "unix-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(SocketChannel c, int number) {
    try (c) {
      ByteBuffer in = ByteBuffer.allocate(16 * 1024);
      StringBuilder pending = new StringBuilder();
      while (c.read(in) >= 0) {
        in.flip();
        pending.append(StandardCharsets.ISO_8859_1.decode(in));
        in.clear();
        int end;
        while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
          String head = pending.substring(0, end + 4);
          pending.delete(0, end + 4);
          heads.add(head);
          String target = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
          connectionOf.put(target, number);
          String body = "unix " + target;
          c.write(StandardCharsets.ISO_8859_1.encode("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body));
        }
      }
    } catch (IOException e) {
      // the peer went
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    Files.deleteIfExists(path);
  }
}
