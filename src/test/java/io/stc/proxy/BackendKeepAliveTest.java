package io.stc.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stc.pool.BackendState;
import io.stc.testing.RawBackend;
import io.stc.testing.RecordingBackend;
import io.stc.testing.TestCluster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Backend connections are kept for the next request, whatever the request carried. */
class BackendKeepAliveTest {

  @Test
  void oneClientConnectionsRequestsShareOneBackendConnection() throws Exception {
    try (RecordingBackend backend = new RecordingBackend();
        TestCluster c = TestCluster.of(0, RawBackend::alone);
        Socket s = new Socket()) {
      c.stc.upstream().add("rec", "127.0.0.1", backend.port(), 1, BackendState.UP);
      s.connect(new InetSocketAddress("127.0.0.1", c.stc.port()));
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      String[] requests = {
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
        "HEAD /c HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /d HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "DELETE /e HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /f HTTP/1.1\r\nHost: a\r\n\r\n",
      };
      for (String r : requests) {
        out.write(r.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        assertThat(in.readLine()).startsWith("HTTP/1.1 200 ");
        boolean head = r.startsWith("HEAD");
        String line;
        while (!(line = in.readLine()).isEmpty()) {
          // the response's fields
        }
        if (!head) {
          char[] ok = new char[2];
          assertThat(in.read(ok)).isEqualTo(2);
        }
      }
      assertThat(backend.requests).hasSize(requests.length);
      assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }
  }
}
