package io.stc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopScreenTest {
  static final String STATS = """
      {"algorithm":"least_connections","uptime_s":3725.2,
       "totals":{"requests":123456789,"successes":123456000,"failures":789,"success_rate":0.99999,"active":3,
                 "rps":{"1s":1520.5,"10s":1499.0,"60s":1200.25}},
       "backends":[
         {"id":"127.0.0.1:3001","state":"up","circuit":"closed","removing":false,"in_flight":12,"requests":99999999,
          "errors":1234567,"latency_ms":{"avg":1.234,"p50":1.0,"p95":3.0,"p99":12.5},"rps_history":[0,1,2,4,8,16,8,4,2]},
         {"id":"a-very-long-backend-hostname.example.internal:65535","state":"draining","removing":true,"in_flight":0,
          "requests":5,"errors":0,"latency_ms":{"avg":0,"p50":0,"p95":0,"p99":0},"rps_history":[]}
       ],
       "events":[{"type":"backend_added","time":"2026-01-02T03:04:05.678Z","message":"127.0.0.1:3001: added","data":{}}]}
      """;

  @Test
  void aFrameFitsEightyColumnsAndShowsEverything() throws Exception {
    JsonNode s = new ObjectMapper().readTree(STATS);
    List<String> lines = TopScreen.render(s, "http://127.0.0.1:9090", TopScreen.WIDTH, 5);
    assertThat(lines).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
    assertThat(lines).noneSatisfy(l -> assertThat(l).contains("\033"));
    String all = String.join("\n", lines);
    assertThat(all).contains("least_connections").contains("up 1h02m").contains("failed 789").contains("req/s 1521 1499 1200");
    assertThat(lines.get(3)).startsWith("BACKEND").contains("STATE").contains("CB").contains("P99 ms");
    assertThat(lines.get(4)).startsWith("127.0.0.1:3001").contains(" up ").contains(" ok ").contains("99999999")
        .contains("1235k").contains("12.50");
    assertThat(lines.get(5)).startsWith("a-very-long-backend-…").contains(" rm ");
    assertThat(all).contains("EVENTS").contains("03:04:05 127.0.0.1:3001: added");
  }

  @Test
  void sparklineScalesToTheBusiestSecond() throws Exception {
    JsonNode h = new ObjectMapper().readTree("[0, 1, 4, 8]");
    assertThat(TopScreen.spark(h)).isEqualTo(" ▁▄█");
  }

  @Test
  void countsShrinkToFit() {
    assertThat(TopScreen.count(1234, 4)).isEqualTo("1234");
    assertThat(TopScreen.count(12345, 4)).isEqualTo("12k");
    assertThat(TopScreen.count(123_456_789, 6)).isEqualTo("123.5M");
  }
}
