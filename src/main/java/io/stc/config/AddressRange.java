package io.stc.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An IP address or a CIDR range of them ({@code 10.0.0.0/8}, {@code 192.0.2.7},
 * {@code 2001:db8::/32}), as {@code client_ip.trusted_proxies} lists them. IPv4 addresses written
 * as IPv6 ({@code ::ffff:192.0.2.7}) are the IPv4 ones.
 */
public record AddressRange(byte[] network, int prefix) {
  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  /**
   * Parses an address or {@code address/prefix}; only literal addresses, never a name (no lookup).
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static AddressRange parse(String text) {
    String s = text.trim();
    int slash = s.indexOf('/');
    byte[] address = literal(slash < 0 ? s : s.substring(0, slash));
    if (address == null) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address or a CIDR range like 10.0.0.0/8");
    }
    int bits = address.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("'" + text + "': the prefix length must be 0 to " + bits);
      }
    }
    AddressRange range = new AddressRange(address, prefix);
    byte[] masked = range.masked(address);
    if (!Arrays.equals(masked, address)) {
      throw new IllegalArgumentException("'" + text + "' has bits set beyond its prefix: did you mean "
          + text(masked) + "/" + prefix + "?");
    }
    return range;
  }

  /**
   * The bytes of a literal IPv4 or IPv6 address (an IPv4-mapped one as IPv4), or null when
   * {@code s} is not one. Strings with a colon are parsed by the JDK, which looks no name up for them.
   */
  public static byte[] literal(String s) {
    Matcher m = IPV4.matcher(s);
    if (m.matches()) {
      byte[] b = new byte[4];
      for (int i = 0; i < 4; i++) {
        int v = Integer.parseInt(m.group(i + 1));
        if (v > 255) {
          return null;
        }
        b[i] = (byte) v;
      }
      return b;
    }
    if (s.indexOf(':') < 0 || s.indexOf('%') >= 0) {
      return null;
    }
    try {
      return InetAddress.getByName(s).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** Whether {@code address} (4 or 16 bytes; an IPv4-mapped IPv6 one counts as IPv4) is in the range. */
  public boolean contains(byte[] address) {
    byte[] a = address.length == 16 && isV4Mapped(address) ? Arrays.copyOfRange(address, 12, 16) : address;
    if (a.length != network.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (a[full] & mask) == (network[full] & mask);
  }

  private byte[] masked(byte[] address) {
    byte[] out = address.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] = (byte) (out[i] & ((0xff << (8 - keep)) & 0xff));
    }
    return out;
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  private static String text(byte[] address) {
    try {
      return InetAddress.getByAddress(address).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return text(network) + "/" + prefix;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AddressRange r && r.prefix == prefix && Arrays.equals(r.network, network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefix;
  }
}
