package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;
import java.util.function.Consumer;

/**
 * Looks at a plain connection's first bytes: the HTTP/2 connection preface means cleartext HTTP/2
 * by prior knowledge (RFC 9113 3.3), anything else HTTP/1.x. Installs the handlers for the one it
 * is, then leaves; the bytes it looked at go on to them untouched. Decided at the first byte that
 * differs from the preface, so an HTTP/1 request costs one comparison.
 */
final class PriorKnowledgeDetector extends ByteToMessageDecoder {
  private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

  private final Consumer<ChannelPipeline> http2;
  private final Consumer<ChannelPipeline> http1;

  PriorKnowledgeDetector(Consumer<ChannelPipeline> http2, Consumer<ChannelPipeline> http1) {
    this.http2 = http2;
    this.http1 = http1;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int n = Math.min(in.readableBytes(), PREFACE.readableBytes());
    if (!ByteBufUtil.equals(in, in.readerIndex(), PREFACE, PREFACE.readerIndex(), n)) {
      http1.accept(ctx.pipeline());
      ctx.pipeline().remove(this);
    } else if (n == PREFACE.readableBytes()) {
      http2.accept(ctx.pipeline());
      ctx.pipeline().remove(this);
    }
  }
}
