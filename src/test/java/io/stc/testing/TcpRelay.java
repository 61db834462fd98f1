package io.stc.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on a free loopback port to a local one, which a test can cut as a network drop
 * would (every connection through it closes and new ones are refused until it is restored) or
 * freeze as a stopped process would.
 */
public final class TcpRelay implements AutoCloseable {
  private final ServerSocket server;
  private final int target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean refusing;
  private final Object frozenLock = new Object();
  private boolean frozen;

  public TcpRelay(int targetPort) throws IOException {
    this.target = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "relay-accept-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Drops every connection and refuses new ones until {@link #restore()}. */
  public void cut() {
    refusing = true;
    for (Socket s : open) {
      quietlyClose(s);
    }
    open.clear();
  }

  public void restore() {
    refusing = false;
  }

  /**
   * Stops passing bytes either way, as a process stopped with SIGSTOP would: connections are
   * still accepted and what arrives is taken in, but nothing moves on until {@link #thaw()}.
   */
  public void freeze() {
    synchronized (frozenLock) {
      frozen = true;
    }
  }

  public void thaw() {
    synchronized (frozenLock) {
      frozen = false;
      frozenLock.notifyAll();
    }
  }

  private void awaitThawed() throws InterruptedException {
    synchronized (frozenLock) {
      while (frozen) {
        frozenLock.wait();
      }
    }
  }

  private void accept() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      if (refusing) {
        quietlyClose(client);
        continue;
      }
      try {
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
        open.add(client);
        open.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        quietlyClose(client);
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      try {
        byte[] buf = new byte[16 * 1024];
        int n;
        while ((n = from.getInputStream().read(buf)) >= 0) {
          awaitThawed();
          to.getOutputStream().write(buf, 0, n);
        }
      } catch (IOException | InterruptedException e) {
        // One side went away: the finally closes the other.
      } finally {
        quietlyClose(from);
        quietlyClose(to);
        open.remove(from);
        open.remove(to);
      }
    }, "relay-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void quietlyClose(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Closing is all that was wanted.
    }
  }

  @Override
  public void close() throws IOException {
    thaw();
    server.close();
    cut();
  }
}
