// WebSocket interop, run by bench/interop.sh: a gorilla/websocket echo origin behind a proxy, and
// gorilla's client through it (subprotocols, text and binary, fragments, ping, close codes).
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

func origin(addr string) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }, Subprotocols: []string{"chat.v2", "chat"}}
	http.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, http.Header{"X-Origin": {"go"}})
		if err != nil {
			return
		}
		defer c.Close()
		c.SetPingHandler(func(data string) error {
			return c.WriteControl(websocket.PongMessage, []byte("pong:"+data), time.Now().Add(time.Second))
		})
		for {
			t, m, err := c.ReadMessage()
			if err != nil {
				return
			}
			if t == websocket.TextMessage && string(m) == "close-me" {
				c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "asked"), time.Now().Add(time.Second))
				return
			}
			if err := c.WriteMessage(t, m); err != nil {
				return
			}
		}
	})
	http.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("not a socket")) })
	go http.ListenAndServe(addr, nil)
}

func main() {
	o := flag.String("origin", "", "serve the origin here")
	target := flag.String("target", "", "ws:// or wss:// base through stc")
	flag.Parse()
	if *o != "" {
		origin(*o)
		select {}
	}
	d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, Subprotocols: []string{"chat"}, HandshakeTimeout: 5 * time.Second}
	type res struct {
		name string
		err  error
	}
	var results []res
	check := func(name string, f func() error) { results = append(results, res{name, f()}) }
	dial := func() (*websocket.Conn, *http.Response, error) { return d.Dial(*target+"/echo", nil) }
	check("handshake, subprotocol, origin's headers", func() error {
		c, resp, err := dial()
		if err != nil {
			return err
		}
		defer c.Close()
		if c.Subprotocol() != "chat" || resp.Header.Get("X-Origin") != "go" {
			return fmt.Errorf("subprotocol %q x-origin %q", c.Subprotocol(), resp.Header.Get("X-Origin"))
		}
		return nil
	})
	check("text and binary echo, 1000 messages", func() error {
		c, _, err := dial()
		if err != nil {
			return err
		}
		defer c.Close()
		for i := 0; i < 1000; i++ {
			t := websocket.TextMessage
			m := []byte(fmt.Sprintf("message %d ✓", i))
			if i%2 == 1 {
				t = websocket.BinaryMessage
				m = make([]byte, 1+i)
				rand.Read(m)
			}
			if err := c.WriteMessage(t, m); err != nil {
				return err
			}
			gt, gm, err := c.ReadMessage()
			if err != nil {
				return err
			}
			if gt != t || !bytes.Equal(gm, m) {
				return fmt.Errorf("message %d came back as type %d, %d bytes", i, gt, len(gm))
			}
		}
		return nil
	})
	check("4 MiB message, fragmented", func() error {
		c, _, err := dial()
		if err != nil {
			return err
		}
		defer c.Close()
		m := make([]byte, 4<<20)
		rand.Read(m)
		w, err := c.NextWriter(websocket.BinaryMessage)
		if err != nil {
			return err
		}
		for off := 0; off < len(m); off += 100000 {
			end := off + 100000
			if end > len(m) {
				end = len(m)
			}
			w.Write(m[off:end])
		}
		w.Close()
		_, gm, err := c.ReadMessage()
		if err != nil {
			return err
		}
		if !bytes.Equal(gm, m) {
			return fmt.Errorf("got %d bytes back", len(gm))
		}
		return nil
	})
	check("ping answered with pong", func() error {
		c, _, err := dial()
		if err != nil {
			return err
		}
		defer c.Close()
		got := make(chan string, 1)
		c.SetPongHandler(func(s string) error { got <- s; return nil })
		if err := c.WriteControl(websocket.PingMessage, []byte("p1"), time.Now().Add(time.Second)); err != nil {
			return err
		}
		go c.ReadMessage()
		select {
		case s := <-got:
			if s != "pong:p1" {
				return fmt.Errorf("pong %q", s)
			}
		case <-time.After(5 * time.Second):
			return fmt.Errorf("no pong")
		}
		return nil
	})
	check("origin's close code reaches the client", func() error {
		c, _, err := dial()
		if err != nil {
			return err
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte("close-me"))
		_, _, err = c.ReadMessage()
		ce, ok := err.(*websocket.CloseError)
		if !ok || ce.Code != 4000 || ce.Text != "asked" {
			return fmt.Errorf("got %v", err)
		}
		return nil
	})
	check("client's close handshake", func() error {
		c, _, err := dial()
		if err != nil {
			return err
		}
		defer c.Close()
		c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "bye"))
		_, _, err = c.ReadMessage()
		ce, ok := err.(*websocket.CloseError)
		if !ok || ce.Code != 1000 {
			return fmt.Errorf("got %v", err)
		}
		return nil
	})
	check("upgrade to a path that is no socket", func() error {
		_, resp, err := d.Dial(*target+"/plain", nil)
		if err == nil {
			return fmt.Errorf("handshake succeeded")
		}
		if resp == nil || resp.StatusCode != 200 {
			return fmt.Errorf("err %v resp %v", err, resp)
		}
		return nil
	})
	check("50 sockets at once, 100 messages each", func() error {
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c, _, err := dial()
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				for j := 0; j < 100; j++ {
					m := strings.Repeat(fmt.Sprint(i), 1+j*10)
					if err := c.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
						errs <- err
						return
					}
					_, gm, err := c.ReadMessage()
					if err != nil || string(gm) != m {
						errs <- fmt.Errorf("socket %d message %d: %v", i, j, err)
						return
					}
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			return e
		}
		return nil
	})
	failed := 0
	for _, r := range results {
		if r.err != nil {
			failed++
			fmt.Printf("  FAIL %-42s %v\n", r.name, r.err)
		} else {
			fmt.Printf("  ok   %s\n", r.name)
		}
	}
	fmt.Printf("%s: %d of %d passed\n", *target, len(results)-failed, len(results))
	if failed > 0 {
		os.Exit(1)
	}
}
