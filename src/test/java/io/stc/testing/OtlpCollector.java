package io.stc.testing;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * An OTLP/HTTP trace receiver on loopback: what a collector's {@code otlp} receiver does with
 * {@code POST /v1/traces}, the body read with OpenTelemetry's own generated protobuf classes (so a
 * field stc encodes wrongly fails the parse or reads back wrong). It answers each export 200, or
 * with the statuses queued in {@link #answers} first.
 */
public final class OtlpCollector implements AutoCloseable {
  private final HttpServer server;
  /** Every export as received, in order. */
  public final List<ExportTraceServiceRequest> exports = new CopyOnWriteArrayList<>();
  /** Each export's request headers (lower-case names). */
  public final List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
  /** Statuses to answer the next exports with, before 200s. */
  public final Queue<Integer> answers = new ConcurrentLinkedQueue<>();
  /** Bodies that did not parse, with why. */
  public final List<String> unreadable = new CopyOnWriteArrayList<>();

  public OtlpCollector() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.createContext("/v1/traces", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        byte[] body = in.readAllBytes();
        Integer status = answers.poll();
        if (status == null) {
          try {
            exports.add(ExportTraceServiceRequest.parseFrom(body));
            headers.add(exchange.getRequestHeaders().entrySet().stream()
                .collect(Collectors.toMap(e -> e.getKey().toLowerCase(java.util.Locale.ROOT), e -> String.join(",", e.getValue()))));
            status = 200;
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            unreadable.add(e.toString());
            status = 400;
          }
        }
        exchange.sendResponseHeaders(status, -1);
      } finally {
        exchange.close();
      }
    });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port() + "/v1/traces";
  }

  /** Every span received so far. */
  public List<Span> spans() {
    return exports.stream().flatMap(r -> r.getResourceSpansList().stream())
        .flatMap(rs -> rs.getScopeSpansList().stream()).flatMap(ss -> ss.getSpansList().stream()).toList();
  }

  /** The spans of one trace (its ID in hex). */
  public List<Span> trace(String traceId) {
    return spans().stream().filter(s -> hex(s.getTraceId().toByteArray()).equals(traceId)).toList();
  }

  /** The resources the exports named, each as its attributes. */
  public List<Map<String, Object>> resources() {
    return exports.stream().flatMap(r -> r.getResourceSpansList().stream()).map(ResourceSpans::getResource)
        .map(r -> attributes(r.getAttributesList())).toList();
  }

  /** The scopes the spans were exported under, by name. */
  public List<String> scopes() {
    return exports.stream().flatMap(r -> r.getResourceSpansList().stream()).flatMap(rs -> rs.getScopeSpansList().stream())
        .map(ScopeSpans::getScope).map(s -> s.getName()).toList();
  }

  public static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  /** A span's attributes, each value as Java sees it (String, Long, Double, Boolean). */
  public static Map<String, Object> attributes(List<KeyValue> kvs) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    for (KeyValue kv : kvs) {
      AnyValue v = kv.getValue();
      m.put(kv.getKey(), switch (v.getValueCase()) {
        case STRING_VALUE -> v.getStringValue();
        case INT_VALUE -> v.getIntValue();
        case DOUBLE_VALUE -> v.getDoubleValue();
        case BOOL_VALUE -> v.getBoolValue();
        default -> v.toString();
      });
    }
    return m;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
