// A TCP relay that adds a fixed one-way delay in each direction, for measuring proxies as clients
// far away see them (this machine's loopback has no netem). Bandwidth is not limited: each chunk
// read leaves the relay its delay after it came in.
//
// With -origin it is instead an HTTP/1.1 origin (with -h2c also cleartext HTTP/2) that reads a
// request's whole body before it answers with the body's length, and answers GET /bytes/N with N
// bytes.
//
//	go run bench/wan/main.go -listen 127.0.0.1:9000 -to 127.0.0.1:8080 -delay 25ms
//	go run bench/wan/main.go -origin -listen 127.0.0.1:9100
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

type chunk struct {
	due  time.Time
	data []byte
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to accept clients on")
	to := flag.String("to", "", "address every client is relayed to")
	delay := flag.Duration("delay", 25*time.Millisecond, "one-way delay added in each direction")
	origin := flag.Bool("origin", false, "be an HTTP/1.1 origin instead of a relay")
	cleartext2 := flag.Bool("h2c", false, "the origin also speaks cleartext HTTP/2")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *origin {
		log.Printf("origin on %s", ln.Addr())
		var handler http.Handler = http.HandlerFunc(serve)
		if *cleartext2 {
			handler = h2c.NewHandler(handler, &http2.Server{})
		}
		log.Fatal(http.Serve(ln, handler))
	}
	log.Printf("relaying %s -> %s with %s each way", ln.Addr(), *to, *delay)
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func(c net.Conn) {
			s, err := net.Dial("tcp", *to)
			if err != nil {
				log.Print(err)
				c.Close()
				return
			}
			go pump(c, s, *delay)
			go pump(s, c, *delay)
		}(c)
	}
}

// serve reads the whole body, then answers its length; GET /bytes/N answers N bytes.
func serve(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if size, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/bytes/")); err == nil && strings.HasPrefix(r.URL.Path, "/bytes/") {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		block := make([]byte, 64*1024)
		for size > 0 {
			k := len(block)
			if size < k {
				k = size
			}
			if _, err := w.Write(block[:k]); err != nil {
				return
			}
			size -= k
		}
		return
	}
	fmt.Fprintf(w, "%d\n", n)
}

// pump moves src's bytes to dst, each chunk its delay after it was read; it half-closes dst at src's end.
func pump(src, dst net.Conn, delay time.Duration) {
	queue := make(chan chunk, 1<<16)
	go func() {
		for {
			buf := make([]byte, 64*1024)
			n, err := src.Read(buf)
			if n > 0 {
				queue <- chunk{time.Now().Add(delay), buf[:n]}
			}
			if err != nil {
				close(queue)
				return
			}
		}
	}()
	for ch := range queue {
		if wait := time.Until(ch.due); wait > 0 {
			time.Sleep(wait)
		}
		if _, err := dst.Write(ch.data); err != nil {
			src.Close()
			dst.Close()
			for range queue {
			}
			return
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	} else {
		dst.Close()
	}
}
