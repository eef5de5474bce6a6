package chartsource

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestServerErrorIsUnreachable: a repository answering 503 is a source
// that cannot be reached now (a running release keeps running), not a bad
// package.
func TestServerErrorIsUnreachable(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	_, err := newPuller(t.TempDir()).Pull(context.Background(), Source{Repository: srv.URL, Name: "logagent", Version: "1.0.0"}, Credentials{CAPEM: ca})
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("503: %v, want ErrUnreachable", err)
	}
}
