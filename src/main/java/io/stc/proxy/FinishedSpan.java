package io.stc.proxy;

/**
 * One span as the exporter sends it: the IDs, what kind of work it was, when, its attributes (each a
 * String, Long, Double or Boolean) and whether it failed.
 *
 * @param parentId the parent span's ID, 0 for a trace's root
 * @param traceState the caller's {@code tracestate}, or null
 * @param kind OTLP's SpanKind: 2 server, 3 client
 * @param flags OTLP's span flags: the W3C trace flags and whether the parent is remote
 * @param values one value per key, in the same order
 * @param errorMessage null for a span that did not fail; else why (may be empty)
 */
record FinishedSpan(
    long traceHi, long traceLo, long spanId, long parentId, String traceState, String name, int kind, int flags,
    long startEpochNanos, long endEpochNanos, String[] keys, Object[] values, String errorMessage) {
  static final int SERVER = 2;
  static final int CLIENT = 3;
  /** OTLP's SpanFlags: the parent's remoteness is known, and it is remote. */
  static final int HAS_IS_REMOTE = 0x100;
  static final int IS_REMOTE = 0x200;
}
