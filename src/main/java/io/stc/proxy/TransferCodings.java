package io.stc.proxy;

/**
 * A Transfer-Encoding value read as RFC 9112 6.1 lists transfer codings, for requests and
 * responses alike: whether chunked comes last, whether it comes anywhere before that (applied
 * twice, or something applied after it), and whether other codings are applied.
 */
final class TransferCodings {
  /** Not a comma-separated list of coding names (an empty one, parameters, anything else). */
  static final int INVALID = 1;
  /** The last coding is chunked: the message is framed by its chunks. */
  static final int CHUNKED_LAST = 2;
  /** Chunked comes before the last coding. */
  static final int CHUNKED_EARLIER = 4;
  /** A coding other than chunked is applied. */
  static final int OTHER = 8;

  private TransferCodings() {}

  /** The flags above for {@code b[from, to)}, a field value without its surrounding whitespace. */
  static int read(byte[] b, int from, int to) {
    int flags = 0;
    boolean lastIsChunked = false;
    int i = from;
    while (true) {
      int t = i;
      while (i < to && FieldGrammar.isTchar(b[i])) {
        i++;
      }
      if (i == t) {
        return flags | INVALID;
      }
      if (lastIsChunked) {
        flags |= CHUNKED_EARLIER;
      }
      lastIsChunked = FieldGrammar.equalsIgnoreCase(b, t, i, "chunked");
      if (!lastIsChunked) {
        flags |= OTHER;
      }
      while (i < to && FieldGrammar.isOws(b[i])) {
        i++;
      }
      if (i == to) {
        return lastIsChunked ? flags | CHUNKED_LAST : flags;
      }
      if (b[i] != ',') {
        return flags | INVALID;
      }
      i++;
      while (i < to && FieldGrammar.isOws(b[i])) {
        i++;
      }
    }
  }
}
