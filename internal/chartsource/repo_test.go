package chartsource

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRepoRangePicksHighestAndNewVersion: a range in a Helm repository
// picks the highest match, and a version published later is picked on the
// next Resolve; the package pulled has the index's digest.
func TestRepoRangePicksHighestAndNewVersion(t *testing.T) {
	h := startHelmRepo(t)
	h.publish(t, "logagent", "1.0.0")
	d101 := h.publish(t, "logagent", "1.0.1")
	h.publish(t, "logagent", "2.0.0")
	creds := Credentials{CAPEM: h.CA.PEM} // a Secret with only ca.crt
	src := Source{Repository: h.URL + "/", Name: "logagent", Version: "~1.0"}
	p := newPuller(t.TempDir())
	pkg, err := p.Pull(context.Background(), src, creds)
	if err != nil || pkg.Version != "1.0.1" || pkg.Digest != d101 {
		t.Fatalf("pull ~1.0: %+v %v, want 1.0.1 %s", pkg, err, d101)
	}
	d102 := h.publish(t, "logagent", "1.0.2")
	r, err := p.Resolve(context.Background(), src, creds)
	if err != nil || r.Version != "1.0.2" || r.Digest != d102 {
		t.Fatalf("after publishing 1.0.2: %+v %v", r, err)
	}
	pin := src
	pin.Digest = d101
	if _, err := p.Resolve(context.Background(), pin, creds); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("pin on the old digest: %v, want ErrDigestMismatch", err)
	}
}

// TestRepoIndexOverCap: an index.yaml over MaxIndexBytes is refused.
func TestRepoIndexOverCap(t *testing.T) {
	h := startHelmRepo(t)
	h.publish(t, "logagent", "1.0.0")
	info, err := os.Stat(filepath.Join(h.Dir, "index.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := newPuller(t.TempDir())
	p.MaxIndexBytes = info.Size() - 1
	_, err = p.Pull(context.Background(), Source{Repository: h.URL, Name: "logagent", Version: "1.0.0"}, Credentials{CAPEM: h.CA.PEM})
	if !errors.Is(err, ErrIndexTooLarge) || !strings.Contains(err.Error(), "index.yaml") {
		t.Fatalf("got %v, want ErrIndexTooLarge", err)
	}
	p.MaxIndexBytes = info.Size()
	if _, err := p.Pull(context.Background(), Source{Repository: h.URL, Name: "logagent", Version: "1.0.0"}, Credentials{CAPEM: h.CA.PEM}); err != nil {
		t.Fatalf("at the cap: %v", err)
	}
}

// TestRepoUnknownCA: without the private CA the repository is not trusted.
func TestRepoUnknownCA(t *testing.T) {
	h := startHelmRepo(t)
	h.publish(t, "logagent", "1.0.0")
	_, err := newPuller(t.TempDir()).Resolve(context.Background(), Source{Repository: h.URL, Name: "logagent", Version: "1.0.0"}, Credentials{})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v, want ErrUnreachable (certificate not trusted)", err)
	}
}

// TestRepoIndexCapWithoutReading: an index declared (Content-Length) over
// the cap is refused from the header, without reading the body (the
// server here never sends it, so reading would end in the deadline); one
// streamed without a length is refused once the cap is passed.
func TestRepoIndexCapWithoutReading(t *testing.T) {
	h := startHelmRepo(t)
	h.publish(t, "logagent", "1.0.0")
	index, err := os.ReadFile(filepath.Join(h.Dir, "index.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/declared/index.yaml":
			w.Header().Set("Content-Length", strconv.Itoa(1<<30))
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		case "/streamed/index.yaml":
			for i := 0; i < len(index); i += 100 {
				_, _ = w.Write(index[i:min(i+100, len(index))])
				w.(http.Flusher).Flush()
			}
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{h.CA.ServerCertificate()}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p := newPuller(t.TempDir())
	p.MaxIndexBytes, p.RequestTimeout = int64(len(index)-1), 3*time.Second
	for _, path := range []string{"/declared", "/streamed"} {
		start := time.Now()
		_, err := p.Resolve(context.Background(), Source{Repository: srv.URL + path, Name: "logagent", Version: "1.0.0"}, Credentials{CAPEM: h.CA.PEM})
		if !errors.Is(err, ErrIndexTooLarge) || time.Since(start) > 2*time.Second {
			t.Errorf("%s: got %v after %v, want ErrIndexTooLarge at once", path, err, time.Since(start))
		}
	}
}
