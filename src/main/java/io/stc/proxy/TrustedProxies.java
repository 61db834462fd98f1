package io.stc.proxy;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import io.stc.config.AddressRange;
import io.stc.config.StcConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The proxies in front of stc (a CDN, a cloud load balancer) that may say who the client is, and
 * how the client is found behind them: from the right of their header's list of addresses
 * (X-Forwarded-For by default, every field of it in order), each hop a trusted proxy added is
 * passed over, and the first address that is not trusted is the client, as nginx's realip module
 * with {@code real_ip_recursive} and Envoy's trusted hops find it. A peer that is not trusted is
 * the client, whatever it sends; so is a trusted one that names nobody. A trusted proxy's
 * X-Forwarded-Proto and X-Forwarded-Host go on to the backend in place of stc's own view. With
 * {@code header: Forwarded}, RFC 7239's hops are read instead: each one's {@code for} is an
 * address of the list, and the nearest hop's {@code proto} and {@code host} are the proxy's view.
 */
final class TrustedProxies {
  private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  private final List<AddressRange> ranges;
  private final String header;
  /** The header is RFC 7239's Forwarded. */
  private final boolean rfc7239;

  TrustedProxies(StcConfig.ClientIp config) {
    this.ranges = config.trustedProxies();
    this.header = config.header();
    this.rfc7239 = header.equalsIgnoreCase(FORWARDED);
  }

  static final String FORWARDED = "Forwarded";

  /** Whether requests from {@code peer} (null: not known) may name their client. */
  boolean trusts(InetAddress peer) {
    return peer != null && !ranges.isEmpty() && trusts(peer.getAddress());
  }

  private boolean trusts(byte[] address) {
    for (AddressRange r : ranges) {
      if (r.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The client of a request a trusted peer ({@code peerIp}) sent: the rightmost address in the
   * header that is not trusted; where all are, the leftmost; where one is not an address (a
   * client's "unknown", or garbage), the address right of it, which a trusted hop vouched for.
   */
  String clientBehind(String peerIp, HttpHeaders headers) {
    List<String> nodes = rfc7239 ? forNodes(headers.getAll(header)) : entries(headers.getAll(header));
    String client = peerIp;
    for (int i = nodes.size() - 1; i >= 0; i--) {
      String node = nodes.get(i);
      byte[] address = node == null ? null : AddressRange.literal(withoutPort(node));
      if (address == null) {
        // "unknown", an obfuscated _name, garbage, or a hop that named no one: nothing further left can be placed.
        return client;
      }
      client = text(address);
      if (!trusts(address)) {
        return client;
      }
    }
    return client;
  }

  /** The comma-separated entries of every field, in order, trimmed; empty ones left out. */
  private static List<String> entries(List<String> values) {
    List<String> entries = new ArrayList<>();
    for (String value : values) {
      for (String entry : value.split(",")) {
        String e = entry.trim();
        if (!e.isEmpty()) {
          entries.add(e);
        }
      }
    }
    return entries;
  }

  /** Each RFC 7239 hop's {@code for} node, in order; null for a hop that gave none. */
  private static List<String> forNodes(List<String> values) {
    List<String> nodes = new ArrayList<>();
    for (ForwardedHeader.Hop hop : ForwardedHeader.hops(values)) {
      nodes.add(hop.forNode() == null ? null : hop.forNode().trim());
    }
    return nodes;
  }

  /**
   * The scheme a trusted proxy says the client used: the last entry of its X-Forwarded-Proto (the
   * one it set or added), if that is http or https; else {@code listenerScheme}. A TLS-terminating
   * balancer in front says https, and a backend building its own links must hear it.
   */
  String forwardedProto(HttpHeaders headers, String listenerScheme) {
    String value = rfc7239 ? nearestHop(headers, true) : lastEntry(headers, X_FORWARDED_PROTO);
    if ("https".equalsIgnoreCase(value)) {
      return "https";
    }
    return "http".equalsIgnoreCase(value) ? "http" : listenerScheme;
  }

  /** The host a trusted proxy says the client asked for: the last entry of its X-Forwarded-Host, or null. */
  String forwardedHost(HttpHeaders headers) {
    String value = rfc7239 ? nearestHop(headers, false) : lastEntry(headers, X_FORWARDED_HOST);
    return value == null || value.isEmpty() ? null : value;
  }

  /** The nearest (last) Forwarded hop's proto or host, or null. */
  private String nearestHop(HttpHeaders headers, boolean proto) {
    List<ForwardedHeader.Hop> hops = ForwardedHeader.hops(headers.getAll(header));
    if (hops.isEmpty()) {
      return null;
    }
    ForwardedHeader.Hop last = hops.get(hops.size() - 1);
    return proto ? last.proto() : last.host();
  }

  /** The last comma-separated entry of the last field of this name, trimmed, or null. */
  private static String lastEntry(HttpHeaders headers, AsciiString name) {
    List<String> values = headers.getAll(name);
    if (values.isEmpty()) {
      return null;
    }
    String last = values.get(values.size() - 1);
    return last.substring(last.lastIndexOf(',') + 1).trim();
  }

  /** {@code 192.0.2.7:4711} and {@code [2001:db8::1]:443} (some balancers add the port) without it. */
  static String withoutPort(String entry) {
    if (entry.startsWith("[")) {
      int close = entry.indexOf(']');
      return close < 0 ? entry : entry.substring(1, close);
    }
    int colon = entry.indexOf(':');
    return colon >= 0 && colon == entry.lastIndexOf(':') ? entry.substring(0, colon) : entry;
  }

  /** As a connection's peer is written, so the same client is one key to limits and hashing whichever way it came. */
  private static String text(byte[] address) {
    try {
      return NetUtil.toAddressString(InetAddress.getByAddress(address));
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
