// Interop check, run by bench/interop.sh: a Go net/http origin behind a proxy, and Go's HTTP/1.1
// and HTTP/2 clients (TLS h2 and cleartext h2c) through it, comparing what arrives with what the
// origin sent: trailers, 1xx, hop-by-hop fields, Set-Cookie, obs-text, uploads with trailers and
// 100-continue, large bodies both ways, 200 requests at once.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

var h2cOrigin bool

func origin(addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		f := w.(http.Flusher)
		for i := 0; i < 100; i++ {
			w.Write(bytes.Repeat([]byte{'a' + byte(i%26)}, 1000))
			f.Flush()
		}
	})
	mux.HandleFunc("/trailers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum, X-Status")
		w.WriteHeader(200)
		w.Write([]byte("body with trailers"))
		w.(http.Flusher).Flush()
		w.Header().Set("X-Checksum", "abc123")
		w.Header().Set("X-Status", "0")
	})
	mux.HandleFunc("/204", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("/304", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(304)
			return
		}
		io.WriteString(w, "fresh")
	})
	mux.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Private")
		w.Header().Set("X-Private", "secret")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Public", "ok")
		io.WriteString(w, "hop")
	})
	mux.HandleFunc("/cookies", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT")
		w.Header().Add("Set-Cookie", "b=2; Path=/")
		w.Header().Add("WWW-Authenticate", `Basic realm="x"`)
		w.Header().Add("WWW-Authenticate", `Bearer`)
		w.WriteHeader(401)
	})
	mux.HandleFunc("/obs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Name", "caf\xe9")
		io.WriteString(w, "obs")
	})
	mux.HandleFunc("/early", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload; as=style")
		w.WriteHeader(103)
		w.Header().Del("Link")
		io.WriteString(w, "after hints")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			w.WriteHeader(500)
			return
		}
		var tr []string
		for k, v := range r.Trailer {
			tr = append(tr, k+"="+strings.Join(v, ","))
		}
		w.Header().Set("X-Received", fmt.Sprint(n))
		w.Header().Set("X-Request-Trailers", strings.Join(tr, ";"))
		w.Header().Set("X-Expect", r.Header.Get("Expect"))
		io.WriteString(w, hex.EncodeToString(h.Sum(nil)))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(8<<20))
		buf := bytes.Repeat([]byte("0123456789abcdef"), 4096)
		for i := 0; i < (8<<20)/len(buf); i++ {
			w.Write(buf)
		}
	})
	var handler http.Handler = mux
	if h2cOrigin {
		handler = h2c.NewHandler(mux, &http2.Server{})
	}
	srv := &http.Server{Addr: addr, Handler: handler}
	srv.SetKeepAlivesEnabled(true)
	go srv.ListenAndServe()
}

type result struct {
	name string
	err  error
}

func main() {
	originAddr := flag.String("origin", "", "serve the origin on this address and wait")
	target := flag.String("target", "", "base URL through stc")
	mode := flag.String("mode", "h1", "h1, h2 (TLS) or h2c")
	flag.BoolVar(&h2cOrigin, "h2c", false, "the origin also speaks h2c (with -origin); the origin behind the target speaks h2c (with -target)")
	flag.Parse()
	if *originAddr != "" {
		origin(*originAddr)
		select {}
	}
	var client *http.Client
	switch *mode {
	case "h1":
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ExpectContinueTimeout: 5 * time.Second, MaxIdleConnsPerHost: 100}}
	case "h2":
		client = &http.Client{Transport: &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	case "h2c":
		client = &http.Client{Transport: &http2.Transport{AllowHTTP: true, DialTLS: func(network, addr string, cfg *tls.Config) (net.Conn, error) {
			return net.Dial(network, addr)
		}}}
	}
	client.Timeout = 30 * time.Second
	base := *target
	var results []result
	check := func(name string, f func() error) {
		results = append(results, result{name, f()})
	}
	get := func(path string, hdr map[string]string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", base+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	check("plain", func() error {
		resp, b, err := get("/plain", nil)
		if err != nil {
			return err
		}
		if resp.StatusCode != 200 || string(b) != "hello" || resp.ContentLength != 5 {
			return fmt.Errorf("status %d body %q length %d", resp.StatusCode, b, resp.ContentLength)
		}
		return nil
	})
	check("chunked", func() error {
		_, b, err := get("/chunked", nil)
		if err != nil {
			return err
		}
		if len(b) != 100000 {
			return fmt.Errorf("got %d bytes", len(b))
		}
		return nil
	})
	check("trailers", func() error {
		req, _ := http.NewRequest("GET", base+"/trailers", nil)
		req.Header.Set("TE", "trailers")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if string(b) != "body with trailers" || resp.Trailer.Get("X-Checksum") != "abc123" || resp.Trailer.Get("X-Status") != "0" {
			return fmt.Errorf("body %q trailers %v", b, resp.Trailer)
		}
		return nil
	})
	check("head", func() error {
		resp, err := client.Head(base + "/plain")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ContentLength != 5 {
			return fmt.Errorf("status %d length %d", resp.StatusCode, resp.ContentLength)
		}
		return nil
	})
	check("204", func() error {
		resp, b, err := get("/204", nil)
		if err != nil {
			return err
		}
		if resp.StatusCode != 204 || len(b) != 0 {
			return fmt.Errorf("status %d body %q", resp.StatusCode, b)
		}
		return nil
	})
	check("304", func() error {
		resp, b, err := get("/304", map[string]string{"If-None-Match": `"v1"`})
		if err != nil {
			return err
		}
		if resp.StatusCode != 304 || len(b) != 0 || resp.Header.Get("ETag") != `"v1"` {
			return fmt.Errorf("status %d body %q etag %q", resp.StatusCode, b, resp.Header.Get("ETag"))
		}
		return nil
	})
	check("hop-by-hop", func() error {
		resp, b, err := get("/hop", nil)
		if err != nil {
			return err
		}
		if h2cOrigin {
			// Go's HTTP/2 server (x/net as Debian packages it) sends the handler's Connection and
			// Keep-Alive fields, which make an HTTP/2 response malformed (RFC 9113 8.2.2): a 502.
			if resp.StatusCode != 502 {
				return fmt.Errorf("status %d from a malformed HTTP/2 response, body %q", resp.StatusCode, b)
			}
			return nil
		}
		if string(b) != "hop" || resp.Header.Get("X-Private") != "" || resp.Header.Get("Keep-Alive") != "" || resp.Header.Get("X-Public") != "ok" {
			return fmt.Errorf("body %q headers %v", b, resp.Header)
		}
		return nil
	})
	check("set-cookie kept apart", func() error {
		resp, _, err := get("/cookies", nil)
		if err != nil {
			return err
		}
		c := resp.Header.Values("Set-Cookie")
		a := resp.Header.Values("WWW-Authenticate")
		if resp.StatusCode != 401 || len(c) != 2 || c[0] != "a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT" || c[1] != "b=2; Path=/" || len(a) < 1 {
			return fmt.Errorf("status %d set-cookie %q www-authenticate %q", resp.StatusCode, c, a)
		}
		return nil
	})
	check("obs-text value", func() error {
		resp, b, err := get("/obs", nil)
		if err != nil {
			return err
		}
		if string(b) != "obs" {
			return fmt.Errorf("status %d body %q x-name %q", resp.StatusCode, b, resp.Header.Get("X-Name"))
		}
		// As the origin sent it: the octet E9 from this origin, UTF-8's C3 A9 from Node's (which
		// writes header strings as UTF-8).
		if v := resp.Header.Get("X-Name"); v != "caf\xe9" && v != "caf\xc3\xa9" {
			return fmt.Errorf("x-name %q (body fine)", resp.Header.Get("X-Name"))
		}
		return nil
	})
	check("103 early hints", func() error {
		var hints []string
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			hints = append(hints, fmt.Sprint(code, " ", h.Get("Link")))
			return nil
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", base+"/early", nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "after hints" {
			return fmt.Errorf("status %d body %q hints %v", resp.StatusCode, b, hints)
		}
		if len(hints) == 0 {
			return fmt.Errorf("final response fine, no 103 relayed")
		}
		return nil
	})
	upload := func(size int, trailers bool, expect bool) error {
		body := make([]byte, size)
		rand.Read(body)
		sum := sha256.Sum256(body)
		var r io.Reader = bytes.NewReader(body)
		if trailers {
			r = io.MultiReader(bytes.NewReader(body)) // unknown length: chunked / no content-length
		}
		req, _ := http.NewRequest("POST", base+"/echo", r)
		if trailers {
			req.ContentLength = -1
			req.Trailer = http.Header{"X-Sum": nil}
			req.Trailer.Set("X-Sum", "s1")
		}
		if expect {
			req.Header.Set("Expect", "100-continue")
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("status %d received %s body %q", resp.StatusCode, resp.Header.Get("X-Received"), b)
		}
		if trailers && !strings.Contains(resp.Header.Get("X-Request-Trailers"), "X-Sum=s1") {
			return fmt.Errorf("request trailers arrived as %q", resp.Header.Get("X-Request-Trailers"))
		}
		return nil
	}
	check("upload 5 MB", func() error { return upload(5<<20, false, false) })
	check("upload chunked with trailers", func() error { return upload(300000, true, false) })
	check("upload with 100-continue", func() error { return upload(100000, false, true) })
	check("download 8 MB", func() error {
		_, b, err := get("/big", nil)
		if err != nil {
			return err
		}
		if len(b) != 8<<20 {
			return fmt.Errorf("got %d bytes", len(b))
		}
		return nil
	})
	check("8 KiB request header", func() error {
		resp, b, err := get("/plain", map[string]string{"Cookie": strings.Repeat("x", 8000)})
		if err != nil {
			return err
		}
		if resp.StatusCode != 200 && resp.StatusCode != 431 {
			return fmt.Errorf("status %d body %q", resp.StatusCode, b)
		}
		if resp.StatusCode == 431 {
			return fmt.Errorf("431 (a limit, not an error)")
		}
		return nil
	})
	check("200 concurrent mixed", func() error {
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				var err error
				switch i % 4 {
				case 0:
					_, b, e := get("/plain", nil)
					if e == nil && string(b) != "hello" {
						e = fmt.Errorf("plain %q", b)
					}
					err = e
				case 1:
					_, b, e := get("/chunked", nil)
					if e == nil && len(b) != 100000 {
						e = fmt.Errorf("chunked %d", len(b))
					}
					err = e
				case 2:
					err = upload(200000, false, false)
				case 3:
					_, b, e := get("/big", nil)
					if e == nil && len(b) != 8<<20 {
						e = fmt.Errorf("big %d", len(b))
					}
					err = e
				}
				if err != nil {
					errs <- err
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		n := 0
		var first error
		for e := range errs {
			if first == nil {
				first = e
			}
			n++
		}
		if n > 0 {
			return fmt.Errorf("%d of 200 failed, first: %v", n, first)
		}
		return nil
	})
	failed := 0
	for _, r := range results {
		if r.err != nil {
			failed++
			fmt.Printf("  FAIL %-32s %v\n", r.name, r.err)
		} else {
			fmt.Printf("  ok   %s\n", r.name)
		}
	}
	fmt.Printf("%s: %d of %d passed\n", *mode, len(results)-failed, len(results))
	if failed > 0 {
		os.Exit(1)
	}
}
