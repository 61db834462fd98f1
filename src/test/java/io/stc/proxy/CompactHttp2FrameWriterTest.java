package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Frames written as one buffer each read back as the frames they stand for, whatever their size. */
class CompactHttp2FrameWriterTest {
  private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
  private final ChannelHandlerContext ctx = channel.pipeline().firstContext();
  private final CompactHttp2FrameWriter writer = new CompactHttp2FrameWriter();
  private final List<String> frames = new ArrayList<>();
  private final List<Http2Headers> headers = new ArrayList<>();

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  @Test
  void aSmallResponseIsTwoBuffersThatReadBackAsItsFrames() throws Exception {
    writer.writeHeaders(ctx, 3, response(10), 0, false, ctx.newPromise());
    writer.writeData(ctx, 3, Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII), 0, true, ctx.newPromise());
    // Then a second head on the same connection: the HPACK table the first one filled must agree.
    writer.writeHeaders(ctx, 5, response(10), 0, true, ctx.newPromise());
    assertThat(readBack()).isEqualTo(3);
    assertThat(frames).containsExactly("HEADERS 3 end=false", "DATA 3 hello end=true", "HEADERS 5 end=true");
    assertThat(headers.get(1)).isEqualTo(headers.get(0));
    assertThat(headers.get(0).get("x-field-9")).hasToString("value-9");
  }

  @Test
  void aHeadLargerThanAFrameGoesAsHeadersAndContinuationsInOneBuffer() throws Exception {
    Http2Headers big = response(3).add("x-big", "y".repeat(40_000));
    writer.writeHeaders(ctx, 1, big, 0, true, ctx.newPromise());
    assertThat(readBack()).isEqualTo(1);
    assertThat(frames).containsExactly("HEADERS 1 end=true");
    assertThat(headers.get(0).get("x-big")).hasToString("y".repeat(40_000));
  }

  @Test
  void dataOverTheCopyLimitGoesAsNettyWritesIt() throws Exception {
    int n = CompactHttp2FrameWriter.COPY_LIMIT + 1;
    writer.writeHeaders(ctx, 1, response(1), 0, false, ctx.newPromise());
    writer.writeData(ctx, 1, Unpooled.wrappedBuffer(new byte[n]), 0, true, ctx.newPromise());
    assertThat(readBack()).isGreaterThan(2);
    assertThat(frames).hasSize(3).startsWith("HEADERS 1 end=false");
  }

  private static Http2Headers response(int fields) {
    Http2Headers h = new DefaultHttp2Headers().status("200");
    for (int i = 0; i < fields; i++) {
      h.add("x-field-" + i, "value-" + i);
    }
    return h;
  }

  /** Reads every buffer written back as frames; returns how many buffers there were. */
  private int readBack() throws Exception {
    channel.flush();
    ByteBuf all = Unpooled.buffer();
    int buffers = 0;
    for (ByteBuf b; (b = channel.readOutbound()) != null; buffers++) {
      all.writeBytes(b);
      b.release();
    }
    try (DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader(new DefaultHttp2HeadersDecoder(true, 1 << 20))) {
      reader.readFrame(ctx, all, new Http2FrameAdapter() {
        @Override
        public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers h, int padding, boolean endOfStream) {
          frames.add("HEADERS " + streamId + " end=" + endOfStream);
          headers.add(h);
        }

        @Override
        public int onDataRead(ChannelHandlerContext c, int streamId, ByteBuf data, int padding, boolean endOfStream) {
          String text = data.readableBytes() <= 16 ? " " + data.toString(StandardCharsets.US_ASCII) : "";
          frames.add("DATA " + streamId + text + " end=" + endOfStream);
          return data.readableBytes() + padding;
        }
      });
    }
    assertThat(all.isReadable()).as("bytes left that are no whole frame").isFalse();
    all.release();
    return buffers;
  }
}
