package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.StrictResponses;
import io.stc.testing.TestCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * What a client sends right after a request to switch to WebSocket, before the answer: once the
 * backend switches, it is the new protocol's and reaches the tunnel byte for byte; when the
 * backend refuses, it is the next HTTP request on the connection. Never lost, never both.
 */
class UpgradePipeliningTest {
  private static final String UPGRADE = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  private static final String NEXT = "GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

  @Test
  void bytesSentBeforeTheSwitchReachTheTunnelAsTheyCame() throws Exception {
    try (UpgradeBackend backend = new UpgradeBackend(true);
        TestCluster c = TestCluster.of(0, RawBackend::alone);
        Socket s = new Socket("127.0.0.1", c.stc.port())) {
      c.stc.upstream().add("ws", "127.0.0.1", backend.port(), 1, BackendState.UP);
      s.setSoTimeout(10_000);
      s.getOutputStream().write((UPGRADE + NEXT).getBytes(StandardCharsets.US_ASCII));
      String expected = "echo[" + NEXT + "]";
      String got = readUntil(s.getInputStream(), expected);
      assertThat(got).startsWith("HTTP/1.1 101 ").endsWith("\r\n\r\n" + expected);
      assertThat(backend.heads).containsExactly("GET /ws HTTP/1.1");
    }
  }

  @Test
  void whenTheBackendRefusesTheSwitchTheBytesAfterAreTheNextRequest() throws Exception {
    try (UpgradeBackend backend = new UpgradeBackend(false);
        TestCluster c = TestCluster.of(0, RawBackend::alone);
        Socket s = new Socket("127.0.0.1", c.stc.port())) {
      c.stc.upstream().add("ws", "127.0.0.1", backend.port(), 1, BackendState.UP);
      s.setSoTimeout(10_000);
      s.getOutputStream().write((UPGRADE + NEXT).getBytes(StandardCharsets.US_ASCII));
      StrictResponses.Result r = StrictResponses.parse(s.getInputStream().readAllBytes(), List.of(false, false));
      assertThat(r.violation()).isNull();
      assertThat(r.responses()).extracting(StrictResponses.Response::status).containsExactly(426, 200);
      assertThat(r.responses().get(1).bodyText()).isEqualTo("/second");
      assertThat(backend.heads).containsExactly("GET /ws HTTP/1.1", "GET /second HTTP/1.1");
    }
  }

  private static String readUntil(InputStream in, String end) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    int n;
    while (!got.toString(StandardCharsets.ISO_8859_1).endsWith(end) && (n = in.read(buf)) > 0) {
      got.write(buf, 0, n);
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  /** Switches /ws (echoing what follows as {@code echo[...]}) or refuses it with 426; answers anything else with its path. */
  private static final class UpgradeBackend implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    final List<String> heads = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    UpgradeBackend(boolean switches) throws IOException {
      Thread t = new Thread(() -> {
        while (true) {
          try {
            Socket s = server.accept();
            sockets.add(s);
            Thread conn = new Thread(() -> serve(s, switches));
            conn.setDaemon(true);
            conn.start();
          } catch (IOException closed) {
            return;
          }
        }
      });
      t.setDaemon(true);
      t.start();
    }

    private void serve(Socket s, boolean switches) {
      try (s) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        while (true) {
          StringBuilder head = new StringBuilder();
          int b;
          while (!head.toString().endsWith("\r\n\r\n") && (b = in.read()) >= 0) {
            head.append((char) b);
          }
          if (head.length() == 0 || !head.toString().endsWith("\r\n\r\n")) {
            return;
          }
          String requestLine = head.substring(0, head.indexOf("\r\n"));
          heads.add(requestLine);
          String path = requestLine.split(" ")[1];
          if (path.equals("/ws") && switches) {
            out.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
              out.write(("echo[" + new String(buf, 0, n, StandardCharsets.ISO_8859_1) + "]").getBytes(StandardCharsets.ISO_8859_1));
              out.flush();
            }
            return;
          }
          String answer = path.equals("/ws")
              ? "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n"
              : "HTTP/1.1 200 OK\r\nContent-Length: " + path.length() + "\r\n\r\n" + path;
          out.write(answer.getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
      } catch (IOException gone) {
        // stc closed it
      }
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
