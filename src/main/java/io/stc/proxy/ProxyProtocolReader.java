package io.stc.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the PROXY protocol header (v1 text or v2 binary, as HAProxy's {@code send-proxy}, AWS's
 * Network Load Balancer and most L4 balancers send it) that begins every connection on a listener
 * behind such a balancer, and takes its source address as the client's: what X-Forwarded-For,
 * {@code ip_hash}, rate limits by address, {@code connections_per_client} and the access log see.
 * Only then is the connection's pipeline built. A connection that does not begin with a well-formed
 * header, or sends none within {@code timeouts.header}, is closed with nothing read further; a
 * {@code LOCAL} header (the balancer's own health check) keeps the connection's own address.
 */
final class ProxyProtocolReader extends ChannelInboundHandlerAdapter {
  /** The client's address as the header gave it, for a connection that began with one. */
  static final AttributeKey<InetSocketAddress> CLIENT = AttributeKey.valueOf("stc.proxy-protocol.client");

  private static final Logger log = LoggerFactory.getLogger(ProxyProtocolReader.class);

  private final long timeoutNanos;
  /** Builds the rest of the pipeline, given the connection and its client's address (null when unknown). */
  private final BiConsumer<Channel, InetAddress> accepted;
  private ScheduledFuture<?> timeout;
  private boolean done;

  private ProxyProtocolReader(long timeoutNanos, BiConsumer<Channel, InetAddress> accepted) {
    this.timeoutNanos = timeoutNanos;
    this.accepted = accepted;
  }

  /** Puts the header's decoder and its reader first in {@code ch}'s pipeline. */
  static void install(Channel ch, long timeoutNanos, BiConsumer<Channel, InetAddress> accepted) {
    ch.pipeline().addLast("proxy-protocol", new HAProxyMessageDecoder())
        .addLast("proxy-protocol-reader", new ProxyProtocolReader(timeoutNanos, accepted));
  }

  /** The client's address: the PROXY header's source when the connection began with one, else the peer's. */
  static SocketAddress clientAddress(Channel ch) {
    InetSocketAddress said = ch.attr(CLIENT).get();
    return said != null ? said : ch.remoteAddress();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    timeout = ctx.executor().schedule(() -> {
      if (!done) {
        log.debug("{} sent no PROXY protocol header in time: closed", ctx.channel().remoteAddress());
        ctx.close();
      }
    }, timeoutNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HAProxyMessage header) || done) {
      // Only the decoder's message may come first; anything else is a protocol breach.
      io.netty.util.ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    done = true;
    timeout.cancel(false);
    Channel ch = ctx.channel();
    InetAddress client;
    int port;
    try {
      client = clientOf(ch, header);
      port = header.sourcePort();
    } finally {
      header.release();
    }
    if (client != null && !(ch.remoteAddress() instanceof InetSocketAddress peer && peer.getAddress().equals(client))) {
      ch.attr(CLIENT).set(new InetSocketAddress(client, port));
    }
    // The rest of the pipeline goes after this handler, which then leaves: bytes that came with the
    // header follow it there as the decoder goes.
    accepted.accept(ch, client);
    ctx.pipeline().remove(this);
  }

  private static InetAddress clientOf(Channel ch, HAProxyMessage header) {
    if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null) {
      switch (header.proxiedProtocol().addressFamily()) {
        case AF_IPv4, AF_IPv6 -> {
          try {
            // A literal from the header: no name look-up.
            return InetAddress.getByName(header.sourceAddress());
          } catch (java.net.UnknownHostException e) {
            return null;
          }
        }
        default -> {
          // UNKNOWN or a Unix socket: the connection's own address stands.
        }
      }
    }
    return ch.remoteAddress() instanceof InetSocketAddress peer ? peer.getAddress() : null;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // No header, or a malformed one (the decoder's HAProxyProtocolException): nothing more is read.
    log.debug("{} did not begin with a valid PROXY protocol header ({}): closed", ctx.channel().remoteAddress(), cause.toString());
    done = true;
    if (timeout != null) {
      timeout.cancel(false);
    }
    ctx.close();
  }
}
