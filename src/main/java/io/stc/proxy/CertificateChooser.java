package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslClientHelloHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads a connection's ClientHello, picks the certificate for it from the set current when the
 * connection opened, and puts that context's TLS handler in its own place. A client that sends no
 * ClientHello within the handshake timeout is disconnected, as a TLS handler would.
 */
final class CertificateChooser extends SslClientHelloHandler<SslContext> {
  private final CertificateSet set;
  private final long timeoutMillis;
  private ScheduledFuture<?> timeout;

  CertificateChooser(CertificateSet set, long timeoutMillis) {
    this.set = set;
    this.timeoutMillis = timeoutMillis;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    timeout = ctx.executor().schedule(() -> {
      ctx.close();
    }, timeoutMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
    if (timeout != null) {
      timeout.cancel(false);
    }
    super.handlerRemoved0(ctx);
  }

  @Override
  protected Future<SslContext> lookup(ChannelHandlerContext ctx, ByteBuf clientHello) {
    ClientHello hello = clientHello == null ? ClientHello.NONE : ClientHello.parse(clientHello);
    return ctx.executor().newSucceededFuture(set.choose(hello));
  }

  @Override
  protected void onLookupComplete(ChannelHandlerContext ctx, Future<SslContext> future) {
    SslHandler tls = set.newHandler(future.getNow(), ctx.alloc(), timeoutMillis);
    try {
      // The buffered ClientHello goes on to the new handler, which answers it.
      ctx.pipeline().replace(this, ctx.name(), tls);
      tls = null;
    } finally {
      if (tls != null) {
        // Not in the pipeline: the engine is ours to free.
        ReferenceCountUtil.safeRelease(tls.engine());
      }
    }
  }
}
