package io.stc.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameTypes;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;

/**
 * Netty's HTTP/2 frame writer, except that a HEADERS frame (with any CONTINUATION frames) and a
 * DATA frame of up to {@value #COPY_LIMIT} bytes go out as one buffer under the caller's promise.
 * Netty writes a frame as a 9-byte header buffer and a slice of the payload, each under a promise
 * of its own joined by an aggregating one: four outbound entries and six promises for a small
 * response, each entry and promise handled again when the socket write completes. HAProxy and nginx
 * build frames in their output buffer; a copy of a few KiB costs less than those objects do.
 */
final class CompactHttp2FrameWriter extends DefaultHttp2FrameWriter {
  /** DATA up to this size is copied behind its frame header; larger payloads go as Netty writes them. */
  static final int COPY_LIMIT = 16 * 1024;
  private static final int FRAME_HEADER = 9;

  private final Http2HeadersEncoder hpack;

  CompactHttp2FrameWriter() {
    this(new DefaultHttp2HeadersEncoder());
  }

  private CompactHttp2FrameWriter(Http2HeadersEncoder hpack) {
    super(hpack);
    // The same encoder as Netty's methods use: one HPACK dynamic table for the connection.
    this.hpack = hpack;
  }

  @Override
  public ChannelFuture writeData(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endStream,
      ChannelPromise promise) {
    int n = data.readableBytes();
    if (padding != 0 || streamId <= 0 || n > COPY_LIMIT || n > maxFrameSize()) {
      return super.writeData(ctx, streamId, data, padding, endStream, promise);
    }
    ByteBuf out;
    try {
      out = ctx.alloc().directBuffer(FRAME_HEADER + n);
    } catch (Throwable t) {
      data.release();
      return promise.setFailure(t);
    }
    out.writeMedium(n).writeByte(Http2FrameTypes.DATA).writeByte(endStream ? Http2Flags.END_STREAM : 0).writeInt(streamId);
    out.writeBytes(data, data.readerIndex(), n);
    data.release();
    return ctx.write(out, promise);
  }

  @Override
  public ChannelFuture writeHeaders(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
      boolean endStream, ChannelPromise promise) {
    if (padding != 0 || streamId <= 0) {
      return super.writeHeaders(ctx, streamId, headers, padding, endStream, promise);
    }
    ByteBuf out = null;
    try {
      out = ctx.alloc().directBuffer(256);
      out.writerIndex(FRAME_HEADER);
      hpack.encodeHeaders(streamId, headers, out);
      int block = out.writerIndex() - FRAME_HEADER;
      int max = maxFrameSize();
      if (block > max) {
        ByteBuf split = continuations(ctx, out, block, max, streamId, endStream);
        out.release();
        out = split;
      } else {
        out.setMedium(0, block);
        out.setByte(3, Http2FrameTypes.HEADERS);
        out.setByte(4, Http2Flags.END_HEADERS | (endStream ? Http2Flags.END_STREAM : 0));
        out.setInt(5, streamId);
      }
    } catch (Throwable t) {
      // An HPACK refusal (the peer's header list limit): the encoder above takes it from the future.
      if (out != null) {
        out.release();
      }
      promise.tryFailure(t);
      return promise;
    }
    return ctx.write(out, promise);
  }

  /** A header block larger than a frame, as HEADERS and CONTINUATION frames in one buffer (RFC 9113 6.10). */
  private static ByteBuf continuations(ChannelHandlerContext ctx, ByteBuf encoded, int block, int max, int streamId,
      boolean endStream) {
    int frames = (block + max - 1) / max;
    ByteBuf out = ctx.alloc().directBuffer(block + frames * FRAME_HEADER);
    int from = FRAME_HEADER;
    for (int left = block; left > 0; ) {
      int length = Math.min(left, max);
      boolean first = from == FRAME_HEADER;
      left -= length;
      int flags = (left == 0 ? Http2Flags.END_HEADERS : 0) | (first && endStream ? Http2Flags.END_STREAM : 0);
      out.writeMedium(length).writeByte(first ? Http2FrameTypes.HEADERS : Http2FrameTypes.CONTINUATION).writeByte(flags)
          .writeInt(streamId);
      out.writeBytes(encoded, from, length);
      from += length;
    }
    return out;
  }
}
