// Interop check, run by bench/interop.sh: a grpc-go server behind a proxy, and a grpc-go client
// through it (h2c, or h2 over TLS), comparing what arrives with what was sent: messages of every
// size, each kind of streaming, statuses with their messages and trailers (Trailers-Only ones
// too), metadata both ways, deadlines, cancellation, compression, health checks, 200 calls at once.
// The messages are raw bytes (a codec of our own), so no generated code is needed.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// rawCodec carries *[]byte messages as they are, and anything else (the health service's) as protobuf.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) {
	if b, ok := v.(*[]byte); ok {
		return *b, nil
	}
	return encoding.GetCodec("proto").Marshal(v)
}

func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	if b, ok := v.(*[]byte); ok {
		*b = append((*b)[:0], data...)
		return nil
	}
	return encoding.GetCodec("proto").Unmarshal(data, v)
}

func (rawCodec) Name() string   { return "proto" }
func (rawCodec) String() string { return "proto" }

const unicodeMessage = "ünïcode ✓ 100% \"quoted\"\nsecond line"

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func unary(srv interface{}, ctx context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
	var in []byte
	if err := dec(&in); err != nil {
		return nil, err
	}
	md, _ := metadata.FromIncomingContext(ctx)
	switch first(md, "x-op") {
	case "status":
		code, _ := strconv.Atoi(first(md, "x-code"))
		grpc.SetTrailer(ctx, metadata.Pairs("x-why", "asked", "x-why-bin", "\x00\x01\xff"))
		return nil, status.Error(codes.Code(code), unicodeMessage)
	case "sleep":
		ms, _ := strconv.Atoi(first(md, "x-sleep"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
			out := []byte("woke")
			return &out, nil
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	case "deadline":
		d, ok := ctx.Deadline()
		out := []byte("none")
		if ok {
			out = []byte(strconv.FormatInt(time.Until(d).Milliseconds(), 10))
		}
		return &out, nil
	case "meta":
		var keys []string
		for k, v := range md {
			keys = append(keys, k+"="+strings.Join(v, ","))
		}
		out := []byte(strings.Join(keys, "\n"))
		return &out, nil
	}
	grpc.SetHeader(ctx, metadata.Pairs("x-hdr", "h", "x-hdr-bin", "\xde\xad\xbe\xef"))
	grpc.SetTrailer(ctx, metadata.Pairs("x-trl", "t", "x-sum", fmt.Sprintf("%x", sha256.Sum256(in))))
	return &in, nil
}

// serverStream: the request is "COUNT SIZE"; COUNT messages of SIZE bytes come back.
func serverStream(srv interface{}, s grpc.ServerStream) error {
	var in []byte
	if err := s.RecvMsg(&in); err != nil {
		return err
	}
	var n, size int
	fmt.Sscanf(string(in), "%d %d", &n, &size)
	for i := 0; i < n; i++ {
		out := bytes.Repeat([]byte{byte('a' + i%26)}, size)
		if err := s.SendMsg(&out); err != nil {
			return err
		}
	}
	s.SetTrailer(metadata.Pairs("x-sent", strconv.Itoa(n)))
	return nil
}

// clientStream counts the messages and bytes it receives and answers "COUNT BYTES".
func clientStream(srv interface{}, s grpc.ServerStream) error {
	n, total := 0, 0
	for {
		var in []byte
		err := s.RecvMsg(&in)
		if err == io.EOF {
			out := []byte(fmt.Sprintf("%d %d", n, total))
			return s.SendMsg(&out)
		}
		if err != nil {
			return err
		}
		n++
		total += len(in)
	}
}

func bidi(srv interface{}, s grpc.ServerStream) error {
	for {
		var in []byte
		err := s.RecvMsg(&in)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.SendMsg(&in); err != nil {
			return err
		}
	}
}

var echoService = grpc.ServiceDesc{
	ServiceName: "interop.Echo",
	HandlerType: (*interface{})(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Unary", Handler: unary}},
	Streams: []grpc.StreamDesc{
		{StreamName: "ServerStream", Handler: serverStream, ServerStreams: true},
		{StreamName: "ClientStream", Handler: clientStream, ClientStreams: true},
		{StreamName: "Bidi", Handler: bidi, ServerStreams: true, ClientStreams: true},
	},
}

func serve(addr, certFile, keyFile string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	opts := []grpc.ServerOption{grpc.CustomCodec(rawCodec{}), grpc.MaxRecvMsgSize(16 << 20), grpc.MaxSendMsgSize(16 << 20)}
	if certFile != "" {
		creds, err := credentials.NewServerTLSFromFile(certFile, keyFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		opts = append(opts, grpc.Creds(creds))
	}
	s := grpc.NewServer(opts...)
	s.RegisterService(&echoService, struct{}{})
	h := health.NewServer()
	h.SetServingStatus("interop.Echo", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, h)
	s.Serve(l)
}

type result struct {
	name string
	err  error
}

// streamDesc is the echo service's stream method of that name.
func streamDesc(name string) *grpc.StreamDesc {
	for i := range echoService.Streams {
		if echoService.Streams[i].StreamName == name {
			return &echoService.Streams[i]
		}
	}
	return nil
}

// timedUpload client-streams mib messages of 1 MiB and prints the seconds until the server's count came back.
func timedUpload(conn *grpc.ClientConn, mib int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	s, err := conn.NewStream(ctx, streamDesc("ClientStream"), "/interop.Echo/ClientStream")
	if err != nil {
		return err
	}
	m := bytes.Repeat([]byte{'u'}, 1<<20)
	for i := 0; i < mib; i++ {
		if err := s.SendMsg(&m); err != nil {
			return fmt.Errorf("message %d: %v", i, err)
		}
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	var out []byte
	if err := s.RecvMsg(&out); err != nil {
		return err
	}
	if want := fmt.Sprintf("%d %d", mib, mib<<20); string(out) != want {
		return fmt.Errorf("server counted %q, sent %q", out, want)
	}
	fmt.Printf("%.3f\n", time.Since(start).Seconds())
	return nil
}

func main() {
	serveAddr := flag.String("serve", "", "serve the gRPC server on this address and wait")
	certFile := flag.String("cert", "", "with -serve: serve h2 over TLS with this certificate (PEM)")
	keyFile := flag.String("key", "", "with -serve and -cert: the certificate's key (PEM)")
	target := flag.String("target", "", "host:port of the proxy (or of the server itself)")
	useTLS := flag.Bool("tls", false, "h2 over TLS to the target (any certificate), else h2c")
	pause := flag.Duration("pause", 0, "also check streams whose client pauses this long between messages (set it past the proxy's body timeout)")
	upload := flag.Int("upload", 0, "instead of the checks: stream this many MiB to the server in 1 MiB messages, print the seconds it took")
	flag.Parse()
	if *serveAddr != "" {
		serve(*serveAddr, *certFile, *keyFile)
		return
	}
	creds := grpc.WithInsecure()
	if *useTLS {
		creds = grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{InsecureSkipVerify: true}))
	}
	conn, err := grpc.Dial(*target, creds, grpc.WithDefaultCallOptions(
		grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(16<<20), grpc.MaxCallSendMsgSize(16<<20)))
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	defer conn.Close()
	if *upload > 0 {
		if err := timedUpload(conn, *upload); err != nil {
			fmt.Println("upload:", err)
			os.Exit(1)
		}
		return
	}
	ctxFor := func(d time.Duration, kv ...string) (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		return metadata.NewOutgoingContext(ctx, metadata.Pairs(kv...)), cancel
	}
	call := func(ctx context.Context, in []byte, opts ...grpc.CallOption) ([]byte, error) {
		var out []byte
		err := conn.Invoke(ctx, "/interop.Echo/Unary", &in, &out, opts...)
		return out, err
	}
	var results []result
	check := func(name string, f func() error) {
		results = append(results, result{name, f()})
	}

	check("unary, headers and trailers", func() error {
		ctx, cancel := ctxFor(10 * time.Second)
		defer cancel()
		in := bytes.Repeat([]byte("x"), 1024)
		var hdr, trl metadata.MD
		out, err := call(ctx, in, grpc.Header(&hdr), grpc.Trailer(&trl))
		if err != nil {
			return err
		}
		if !bytes.Equal(out, in) {
			return fmt.Errorf("echo of %d bytes came back as %d", len(in), len(out))
		}
		if first(hdr, "x-hdr") != "h" || first(hdr, "x-hdr-bin") != "\xde\xad\xbe\xef" {
			return fmt.Errorf("header metadata %v", hdr)
		}
		if first(trl, "x-trl") != "t" || first(trl, "x-sum") != fmt.Sprintf("%x", sha256.Sum256(in)) {
			return fmt.Errorf("trailer metadata %v", trl)
		}
		return nil
	})
	check("unary, empty and 4 MiB messages", func() error {
		for _, size := range []int{0, 4 << 20} {
			ctx, cancel := ctxFor(20 * time.Second)
			in := make([]byte, size)
			for i := range in {
				in[i] = byte(i * 7)
			}
			out, err := call(ctx, in)
			cancel()
			if err != nil {
				return fmt.Errorf("%d bytes: %v", size, err)
			}
			if !bytes.Equal(out, in) {
				return fmt.Errorf("%d bytes came back as %d, not the same", size, len(out))
			}
		}
		return nil
	})
	check("statuses, message and trailers", func() error {
		for _, c := range []codes.Code{codes.InvalidArgument, codes.NotFound, codes.PermissionDenied,
			codes.ResourceExhausted, codes.FailedPrecondition, codes.Internal, codes.Unavailable, codes.Unauthenticated} {
			ctx, cancel := ctxFor(10*time.Second, "x-op", "status", "x-code", strconv.Itoa(int(c)))
			var trl metadata.MD
			_, err := call(ctx, []byte("q"), grpc.Trailer(&trl))
			cancel()
			st := status.Convert(err)
			if st.Code() != c || st.Message() != unicodeMessage {
				return fmt.Errorf("asked %v, got %v %q", c, st.Code(), st.Message())
			}
			if first(trl, "x-why") != "asked" || first(trl, "x-why-bin") != "\x00\x01\xff" {
				return fmt.Errorf("%v: trailers %v", c, trl)
			}
		}
		return nil
	})
	check("metadata reaches the server", func() error {
		ctx, cancel := ctxFor(10*time.Second, "x-op", "meta", "x-custom", "v1", "x-custom", "v2", "x-blob-bin", "\x00\xffraw")
		defer cancel()
		out, err := call(ctx, nil)
		if err != nil {
			return err
		}
		got := string(out)
		for _, want := range []string{"x-custom=v1,v2", "x-blob-bin=\x00\xffraw", "content-type=application/grpc"} {
			if !strings.Contains(got, want) {
				return fmt.Errorf("server saw %q, not %q", got, want)
			}
		}
		for _, line := range strings.Split(got, "\n") {
			if strings.HasPrefix(line, "connection=") || strings.HasPrefix(line, "te=") && line != "te=trailers" {
				return fmt.Errorf("server saw %q", line)
			}
		}
		return nil
	})
	check("deadline expires", func() error {
		ctx, cancel := ctxFor(300*time.Millisecond, "x-op", "sleep", "x-sleep", "5000")
		defer cancel()
		start := time.Now()
		_, err := call(ctx, nil)
		if status.Code(err) != codes.DeadlineExceeded {
			return fmt.Errorf("got %v", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			return fmt.Errorf("took %v", took)
		}
		return nil
	})
	check("deadline reaches the server", func() error {
		ctx, cancel := ctxFor(10*time.Second, "x-op", "deadline")
		defer cancel()
		out, err := call(ctx, nil)
		if err != nil {
			return err
		}
		ms, err := strconv.Atoi(string(out))
		if err != nil || ms < 8000 || ms > 10000 {
			return fmt.Errorf("server saw %q ms left of 10000", out)
		}
		return nil
	})
	check("gzip-compressed messages", func() error {
		ctx, cancel := ctxFor(10 * time.Second)
		defer cancel()
		in := bytes.Repeat([]byte("compress me "), 10000)
		out, err := call(ctx, in, grpc.UseCompressor("gzip"))
		if err != nil {
			return err
		}
		if !bytes.Equal(out, in) {
			return fmt.Errorf("came back as %d bytes", len(out))
		}
		return nil
	})
	serverStreamOf := func(ctx context.Context, n, size int) (int, int, metadata.MD, error) {
		s, err := conn.NewStream(ctx, streamDesc("ServerStream"), "/interop.Echo/ServerStream")
		if err != nil {
			return 0, 0, nil, err
		}
		req := []byte(fmt.Sprintf("%d %d", n, size))
		if err := s.SendMsg(&req); err != nil {
			return 0, 0, nil, err
		}
		if err := s.CloseSend(); err != nil {
			return 0, 0, nil, err
		}
		got, total := 0, 0
		for {
			var m []byte
			err := s.RecvMsg(&m)
			if err == io.EOF {
				return got, total, s.Trailer(), nil
			}
			if err != nil {
				return got, total, nil, err
			}
			if len(m) != size || (size > 0 && m[0] != byte('a'+got%26)) {
				return got, total, nil, fmt.Errorf("message %d: %d bytes starting %q", got, len(m), m[:1])
			}
			got++
			total += len(m)
		}
	}
	check("server streaming", func() error {
		for _, c := range [][2]int{{10000, 100}, {100, 64 << 10}} {
			ctx, cancel := ctxFor(30 * time.Second)
			got, _, trl, err := serverStreamOf(ctx, c[0], c[1])
			cancel()
			if err != nil {
				return fmt.Errorf("%d × %d: after %d: %v", c[0], c[1], got, err)
			}
			if got != c[0] || first(trl, "x-sent") != strconv.Itoa(c[0]) {
				return fmt.Errorf("%d × %d: %d came, trailers %v", c[0], c[1], got, trl)
			}
		}
		return nil
	})
	check("client streaming", func() error {
		ctx, cancel := ctxFor(30 * time.Second)
		defer cancel()
		s, err := conn.NewStream(ctx, streamDesc("ClientStream"), "/interop.Echo/ClientStream")
		if err != nil {
			return err
		}
		total := 0
		for i := 0; i < 10000; i++ {
			m := bytes.Repeat([]byte{'c'}, i%200)
			total += len(m)
			if err := s.SendMsg(&m); err != nil {
				return fmt.Errorf("message %d: %v", i, err)
			}
		}
		if err := s.CloseSend(); err != nil {
			return err
		}
		var out []byte
		if err := s.RecvMsg(&out); err != nil {
			return err
		}
		if want := fmt.Sprintf("10000 %d", total); string(out) != want {
			return fmt.Errorf("server counted %q, sent %q", out, want)
		}
		return nil
	})
	check("bidirectional, 10,000 round trips", func() error {
		ctx, cancel := ctxFor(60 * time.Second)
		defer cancel()
		s, err := conn.NewStream(ctx, streamDesc("Bidi"), "/interop.Echo/Bidi")
		if err != nil {
			return err
		}
		for i := 0; i < 10000; i++ {
			m := []byte(strconv.Itoa(i))
			if err := s.SendMsg(&m); err != nil {
				return fmt.Errorf("send %d: %v", i, err)
			}
			var back []byte
			if err := s.RecvMsg(&back); err != nil {
				return fmt.Errorf("receive %d: %v", i, err)
			}
			if string(back) != string(m) {
				return fmt.Errorf("sent %q, got %q", m, back)
			}
		}
		s.CloseSend()
		var none []byte
		if err := s.RecvMsg(&none); err != io.EOF {
			return fmt.Errorf("end of stream: %v", err)
		}
		return nil
	})
	if *pause > 0 {
		check(fmt.Sprintf("streams that pause %v between messages", *pause), func() error {
			ctx, cancel := ctxFor(30 * time.Second)
			defer cancel()
			chat, err := conn.NewStream(ctx, streamDesc("Bidi"), "/interop.Echo/Bidi")
			if err != nil {
				return err
			}
			for i := 0; i < 2; i++ {
				m := []byte("after a pause")
				if err := chat.SendMsg(&m); err != nil {
					return fmt.Errorf("bidi send %d: %v", i, err)
				}
				var back []byte
				if err := chat.RecvMsg(&back); err != nil {
					return fmt.Errorf("bidi receive %d: %v", i, err)
				}
				time.Sleep(*pause)
			}
			chat.CloseSend()
			up, err := conn.NewStream(ctx, streamDesc("ClientStream"), "/interop.Echo/ClientStream")
			if err != nil {
				return err
			}
			for i := 0; i < 2; i++ {
				m := []byte("x")
				if err := up.SendMsg(&m); err != nil {
					return fmt.Errorf("client stream send %d: %v", i, err)
				}
				time.Sleep(*pause)
			}
			up.CloseSend()
			var out []byte
			if err := up.RecvMsg(&out); err != nil || string(out) != "2 2" {
				return fmt.Errorf("client stream: %q %v", out, err)
			}
			return nil
		})
	}
	check("client cancels a stream, next call fine", func() error {
		ctx, cancel := ctxFor(30 * time.Second)
		s, err := conn.NewStream(ctx, streamDesc("ServerStream"), "/interop.Echo/ServerStream")
		if err != nil {
			cancel()
			return err
		}
		req := []byte("100000 1000")
		s.SendMsg(&req)
		s.CloseSend()
		for i := 0; i < 10; i++ {
			var m []byte
			if err := s.RecvMsg(&m); err != nil {
				cancel()
				return fmt.Errorf("message %d: %v", i, err)
			}
		}
		cancel()
		var m []byte
		for err == nil {
			err = s.RecvMsg(&m)
		}
		if status.Code(err) != codes.Canceled {
			return fmt.Errorf("after cancel: %v", err)
		}
		ctx2, cancel2 := ctxFor(10 * time.Second)
		defer cancel2()
		out, err := call(ctx2, []byte("again"))
		if err != nil || string(out) != "again" {
			return fmt.Errorf("next call: %q %v", out, err)
		}
		return nil
	})
	check("health check", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h := healthpb.NewHealthClient(conn)
		r, err := h.Check(ctx, &healthpb.HealthCheckRequest{Service: "interop.Echo"})
		if err != nil {
			return err
		}
		if r.Status != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("status %v", r.Status)
		}
		_, err = h.Check(ctx, &healthpb.HealthCheckRequest{Service: "no.Such"})
		if status.Code(err) != codes.NotFound {
			return fmt.Errorf("unknown service: %v", err)
		}
		return nil
	})
	check("200 calls and 20 streams at once", func() error {
		var wg sync.WaitGroup
		errs := make(chan error, 220)
		for i := 0; i < 220; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				ctx, cancel := ctxFor(60 * time.Second)
				defer cancel()
				if i >= 200 {
					got, _, _, err := serverStreamOf(ctx, 1000, 1000)
					if err == nil && got != 1000 {
						err = fmt.Errorf("stream: %d of 1000", got)
					}
					if err != nil {
						errs <- err
					}
					return
				}
				in := []byte(strings.Repeat(strconv.Itoa(i), 100*(i%7+1)))
				out, err := call(ctx, in)
				if err == nil && !bytes.Equal(in, out) {
					err = errors.New("echo differs")
				}
				if err != nil {
					errs <- err
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		n := 0
		var firstErr error
		for e := range errs {
			if firstErr == nil {
				firstErr = e
			}
			n++
		}
		if n > 0 {
			return fmt.Errorf("%d of 220 failed, first: %v", n, firstErr)
		}
		return nil
	})

	failed := 0
	for _, r := range results {
		if r.err != nil {
			failed++
			fmt.Printf("  FAIL %-36s %v\n", r.name, r.err)
		} else {
			fmt.Printf("  ok   %s\n", r.name)
		}
	}
	fmt.Printf("grpc-go: %d of %d passed\n", len(results)-failed, len(results))
	if failed > 0 {
		os.Exit(1)
	}
}
