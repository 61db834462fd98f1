package io.stc.scale;

import java.util.Objects;

/**
 * One running copy of the service, as a provider made it: a name (the backend id in the pool) and
 * the address it serves on.
 */
public record Instance(String name, String host, int port) {
  public Instance {
    Objects.requireNonNull(name);
    Objects.requireNonNull(host);
  }

  public String address() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return name + "@" + address();
  }
}
