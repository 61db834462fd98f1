package io.stc.proxy;

import io.netty.channel.Channel;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Open client connections, in all and per client address, against their two limits, so one
 * client holding idle connections cannot take every place: a connection over either limit is not
 * counted and gets refused politely by the caller. Touched once per connection, never per request.
 */
final class ConnectionCounts {
  private final int max;
  private final int maxPerClient;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();

  ConnectionCounts(int max, int maxPerClient) {
    this.max = max;
    this.maxPerClient = maxPerClient;
  }

  /**
   * Counts a new connection from {@code client} (its peer, or a PROXY header's source; null when not
   * known, or when it is a trusted proxy, whose connections carry many clients) and uncounts it when
   * it closes; false (nothing counted) when it is over a limit.
   */
  boolean open(Channel ch, InetAddress client) {
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      return false;
    }
    if (client != null && perClient.merge(client, 1, Integer::sum) > maxPerClient) {
      release(client);
      open.decrementAndGet();
      return false;
    }
    ch.closeFuture().addListener(f -> {
      open.decrementAndGet();
      if (client != null) {
        release(client);
      }
    });
    return true;
  }

  /**
   * Counts a new connection whose client is not known yet (a PROXY header is to name it) against
   * the limit of all connections, from now until it closes, so connections that send no header
   * take places too while they wait; false (nothing counted) over the limit.
   */
  boolean openUnnamed(Channel ch) {
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      return false;
    }
    ch.closeFuture().addListener(f -> open.decrementAndGet());
    return true;
  }

  /**
   * Counts a connection {@link #openUnnamed} counted against its client's limit too, now that its
   * client is known (null: not known); false (counted for no client) over that limit.
   */
  boolean name(Channel ch, InetAddress client) {
    if (client == null) {
      return true;
    }
    if (perClient.merge(client, 1, Integer::sum) > maxPerClient) {
      release(client);
      return false;
    }
    ch.closeFuture().addListener(f -> release(client));
    return true;
  }

  private void release(InetAddress client) {
    // One atomic step per key; an entry goes when its client's last connection closes.
    perClient.computeIfPresent(client, (a, n) -> n <= 1 ? null : n - 1);
  }

  int open() {
    return open.get();
  }

  /** Client addresses with a connection open now. */
  int clients() {
    return perClient.size();
  }
}
