package io.stc.cli;

/**
 * The frame of the self-contained HTML reports ({@code stc simulate --report}, {@code stc load
 * --report}): one file, well-formed XML as well, styled inline, with nothing to fetch and nothing
 * to run.
 */
final class ReportPage {
  private ReportPage() {}

  /** The document up to and including the page's heading. */
  static StringBuilder begin(String title) {
    return new StringBuilder()
        .append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
        .append("<title>").append(escape(title)).append("</title>\n")
        .append("<style>\n")
        .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;max-width:1000px}\n")
        .append("h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:28px 0 6px}\n")
        .append("pre{background:#f6f6f6;padding:8px 10px;font-size:12px;white-space:pre-wrap}\n")
        .append("table{border-collapse:collapse;font-size:13px;margin:8px 0}\n")
        .append("th,td{padding:3px 9px;border-bottom:1px solid #ddd;text-align:right}th{background:#f0f0f0}\n")
        .append("td:first-child,th:first-child{text-align:left}\n")
        .append("svg.chart{display:block;margin:6px 0 14px}\n")
        .append(".title{font-size:13px;font-weight:600}.tick{font-size:11px;fill:#555}.legend{font-size:11px}\n")
        .append(".grid{stroke:#e4e4e4}\n")
        .append("</style>\n</head>\n<body>\n")
        .append("<h1>").append(escape(title)).append("</h1>\n");
  }

  /** Closes the document. */
  static String end(StringBuilder page) {
    return page.append("</body>\n</html>\n").toString();
  }

  /** Text safe inside XML elements and attribute values. */
  static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }
}
