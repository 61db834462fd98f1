package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;
import io.stc.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One event loop's copies of requests to the mirror ({@code mirror}): which requests get one, the
 * bytes of each copy made at once (the client's request moves on), and the connections to the
 * mirror kept for the next copies. Nothing here holds up a request or tells it about its copy.
 */
final class Mirror {
  /** Idle connections to the mirror kept per loop; beyond this a connection is closed after its copy. */
  private static final int MAX_IDLE = 64;
  private static final long SWEEP_SECONDS = 1;
  /**
   * After a connection to the mirror could not be opened, copies fail without trying for this long:
   * a mirror that is down costs a refused connection a second per loop, not one per request (nginx
   * waits its {@code fail_timeout}, 10 s, the same way).
   */
  private static final long DOWN_NANOS = 1_000_000_000L;

  private final LoopContext loop;
  private final ProxyStats stats;
  private final Clock clock;
  /** How long a connection is kept idle ({@code timeouts.backend_idle}, as for backends). */
  private final long idleNanos;
  private final ArrayDeque<MirrorLink> idle = new ArrayDeque<>();
  /** What the share owes: each request adds its percent, and a copy is made for each 100. */
  private double credit;
  private boolean sweepScheduled;
  /** The mirror's address a connection to could not be opened (a reload may move it), or null; and until when it counts as down. */
  private java.net.SocketAddress down;
  private long downUntilNanos;

  Mirror(LoopContext loop, ProxyStats stats, Clock clock, long idleNanos) {
    this.loop = loop;
    this.stats = stats;
    this.clock = clock;
    this.idleNanos = idleNanos;
  }

  /**
   * A request arrived whole and was let in: a copy goes to the mirror when the share calls for one,
   * its body was kept whole (see {@link RequestBody#replayable()}) and fewer than the mirror's
   * {@code max_inflight} copies are out.
   */
  void copy(ClientRequest r, MirrorTarget target) {
    // An even spread, not a random one: 25% copies every fourth request.
    credit += target.percent;
    if (credit < 100) {
      return;
    }
    credit -= 100;
    if (!r.hasNoBody() && !r.body.replayable()) {
      stats.mirror(ProxyStats.MIRROR_TOO_LARGE);
      return;
    }
    if (down != null && clock.nanos() - downUntilNanos < 0 && down.equals(target.backend.address())) {
      stats.mirror(ProxyStats.MIRROR_FAILED);
      return;
    }
    if (!target.tryTake()) {
      stats.mirror(ProxyStats.MIRROR_BUSY);
      return;
    }
    ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    ArrayList<ByteBuf> bytes = new ArrayList<>(4);
    ByteBuf head = alloc.buffer(256);
    RequestHeadWriter.write(head, r, target.backend);
    bytes.add(head);
    if (!r.hasNoBody()) {
      boolean chunked = r.body.chunked();
      for (HttpContent piece : r.body.copy()) {
        Http1Link.frame(piece, chunked, alloc, bytes::add);
      }
    }
    boolean headRequest = r.isHeadMethod();
    MirrorLink link = acquire(target);
    if (link != null) {
      link.send(bytes, headRequest, target);
      return;
    }
    MirrorLink fresh = new MirrorLink(this, target.backend.address());
    loop.connectMirror(target.backend, fresh).addListener((ChannelFuture f) -> {
      if (f.isSuccess()) {
        // The connect's listeners may hear of it before the handler does.
        fresh.channel = f.channel();
        fresh.send(bytes, headRequest, target);
      } else {
        for (ByteBuf b : bytes) {
          ReferenceCountUtil.release(b);
        }
        down = target.backend.address();
        downUntilNanos = clock.nanos() + DOWN_NANOS;
        ended(target, 0);
      }
    });
  }

  /** A copy ended: answered with {@code status}, or failed (0). */
  void ended(MirrorTarget target, int status) {
    target.free();
    stats.mirror(status > 0 ? Math.min(status / 100, 5) : ProxyStats.MIRROR_FAILED);
  }

  /** An idle connection to where the mirror is now, or null. */
  private MirrorLink acquire(MirrorTarget target) {
    long now = clock.nanos();
    MirrorLink c;
    while ((c = idle.pollFirst()) != null) {
      if (c.reusable() && c.connectedTo.equals(target.backend.address()) && now - c.idleSinceNanos < idleNanos) {
        return c;
      }
      c.channel.close();
    }
    return null;
  }

  /** Takes back a connection whose copy was answered, to carry the next one. */
  void release(MirrorLink c) {
    if (idle.size() >= MAX_IDLE) {
      c.channel.close();
      return;
    }
    c.idleSinceNanos = clock.nanos();
    // Most recently used first, as for backends: the oldest wait at the tail to expire.
    idle.addFirst(c);
    if (!sweepScheduled) {
      sweepScheduled = true;
      loop.loop.schedule(this::sweep, SWEEP_SECONDS, TimeUnit.SECONDS);
    }
  }

  /** An idle connection closed (by the mirror, or by stc): out of the pool. */
  void forget(MirrorLink c) {
    idle.remove(c);
  }

  private void sweep() {
    long now = clock.nanos();
    MirrorLink c;
    while ((c = idle.peekLast()) != null && now - c.idleSinceNanos >= idleNanos) {
      idle.pollLast();
      c.channel.close();
    }
    sweepScheduled = !idle.isEmpty();
    if (sweepScheduled) {
      loop.loop.schedule(this::sweep, SWEEP_SECONDS, TimeUnit.SECONDS);
    }
  }

  /** Closes every idle connection (shutdown). */
  void closeAll() {
    ArrayList<MirrorLink> all = new ArrayList<>(idle);
    idle.clear();
    for (MirrorLink c : all) {
      c.channel.close();
    }
  }
}
