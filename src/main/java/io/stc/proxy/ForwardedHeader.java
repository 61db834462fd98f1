package io.stc.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * RFC 7239's {@code Forwarded} field read as its list of hops, each with its {@code for},
 * {@code proto} and {@code host} parameters ({@code by} and extensions are passed over). Values may
 * be quoted strings, with commas and semicolons inside; anything malformed ends the list there, as
 * nothing after it can be placed.
 */
final class ForwardedHeader {
  /** One hop's element; a parameter it did not give is null. */
  record Hop(String forNode, String proto, String host) {}

  private ForwardedHeader() {}

  /** The hops of one or more field values, in order (leftmost first: the client's side). */
  static List<Hop> hops(List<String> values) {
    List<Hop> hops = new ArrayList<>();
    for (String value : values) {
      if (!parse(value, hops)) {
        break;
      }
    }
    return hops;
  }

  /** Adds the elements of {@code value} to {@code hops}; false when it was malformed from some point on. */
  private static boolean parse(String value, List<Hop> hops) {
    int i = 0;
    int n = value.length();
    String forNode = null;
    String proto = null;
    String host = null;
    boolean any = false;
    while (true) {
      i = skipSpaces(value, i);
      if (i < n && value.charAt(i) != ',' && value.charAt(i) != ';') {
        int eq = value.indexOf('=', i);
        if (eq < 0) {
          return false;
        }
        String name = value.substring(i, eq).trim().toLowerCase(Locale.ROOT);
        i = eq + 1;
        String v;
        if (i < n && value.charAt(i) == '"') {
          StringBuilder sb = new StringBuilder();
          i++;
          while (i < n && value.charAt(i) != '"') {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < n) {
              c = value.charAt(++i);
            }
            sb.append(c);
            i++;
          }
          if (i >= n) {
            return false;
          }
          i++;
          v = sb.toString();
        } else {
          int end = i;
          while (end < n && value.charAt(end) != ';' && value.charAt(end) != ',') {
            end++;
          }
          v = value.substring(i, end).trim();
          i = end;
        }
        switch (name) {
          case "for" -> forNode = v;
          case "proto" -> proto = v;
          case "host" -> host = v;
          default -> { }
        }
        any = true;
        i = skipSpaces(value, i);
      }
      if (i >= n || value.charAt(i) == ',') {
        if (any) {
          hops.add(new Hop(forNode, proto, host));
        }
        if (i >= n) {
          return true;
        }
        forNode = null;
        proto = null;
        host = null;
        any = false;
      } else if (value.charAt(i) != ';') {
        return false;
      }
      i++;
    }
  }

  private static int skipSpaces(String s, int i) {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }
}
