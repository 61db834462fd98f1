package io.stc.backend;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/** Streams N filler bytes in 64 KiB chunks, pausing whenever the connection's write queue is full. */
final class BytesResponse {
  static final int CHUNK = 64 * 1024;
  // Shared safely: Vert.x writes a slice of it, so every write has its own read index.
  private static final Buffer FILLER = Buffer.buffer("x".repeat(CHUNK));

  private final HttpServerResponse response;
  private long remaining;

  private BytesResponse(HttpServerResponse response, long total) {
    this.response = response;
    this.remaining = total;
  }

  /** Sends a 200 with {@code Content-Length: total} and a body of {@code total} 'x' bytes. */
  static void send(HttpServerResponse response, long total) {
    response.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(total));
    response.putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream");
    BytesResponse stream = new BytesResponse(response, total);
    response.drainHandler(v -> stream.pump());
    stream.pump();
  }

  private void pump() {
    if (response.ended() || response.closed()) {
      return;
    }
    while (remaining > 0 && !response.writeQueueFull()) {
      int n = (int) Math.min(CHUNK, remaining);
      remaining -= n;
      response.write(n == CHUNK ? FILLER : FILLER.getBuffer(0, n));
    }
    if (remaining == 0) {
      response.end();
    }
  }
}
