package dashboard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type fakeActions struct{ ops []string }

func (f *fakeActions) Rollout(_ context.Context, op string) (string, error) {
	f.ops = append(f.ops, op)
	if op == "undo" {
		return "", httpError{http.StatusConflict, errors.New("nothing to undo: common already holds revision 3")}
	}
	return "rollout of common " + op + "d", nil
}

func (f *fakeActions) Allowed(context.Context) map[string]bool {
	return map[string]bool{"pause": true, "resume": true, "undo": true, "switch": true}
}

func (f *fakeActions) Switch(_ context.Context, cluster, component, status string, dryRun bool) (string, error) {
	f.ops = append(f.ops, fmt.Sprintf("switch %s/%s %s dry=%v", cluster, component, status, dryRun))
	return "ok", nil
}

func testServer(t *testing.T, actions Actions) (*httptest.Server, *Broker) {
	t.Helper()
	b := NewBroker()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	host := strings.TrimPrefix(srv.URL, "http://")
	srv.Config.Handler = NewHandler(Options{Broker: b, Hosts: []string{host}, Actions: actions, Log: logr.Discard()})
	t.Cleanup(srv.Close)
	return srv, b
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestGuard: another Host is refused (DNS rebinding) before anything is
// served; an action from another origin, or with no origin at all, is
// refused; the page's own request passes and the refusal of the action
// itself reaches the page with its status and text unchanged.
func TestGuard(t *testing.T) {
	acts := &fakeActions{}
	srv, _ := testServer(t, acts)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/snapshot", nil)
	req.Host = "evil.example.com"
	if code, body := do(t, req); code != http.StatusMisdirectedRequest || !strings.Contains(body, "evil.example.com") {
		t.Errorf("rebound host: %d %q", code, body)
	}
	for name, hdr := range map[string][2]string{"other origin": {"Origin", "http://evil.example.com"}, "no origin": {"", ""}, "cross-site fetch": {"Sec-Fetch-Site", "cross-site"}} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/rollout/pause", nil)
		if hdr[0] != "" {
			req.Header.Set(hdr[0], hdr[1])
		}
		if code, _ := do(t, req); code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, code)
		}
	}
	if len(acts.ops) != 0 {
		t.Fatalf("refused requests acted: %v", acts.ops)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/api/rollout/pause", nil)
	req.Header.Set("Origin", srv.URL)
	if code, body := do(t, req); code != http.StatusOK || !strings.Contains(body, "paused") {
		t.Errorf("same origin: %d %q", code, body)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/api/rollout/undo", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if code, body := do(t, req); code != http.StatusConflict || !strings.Contains(body, "nothing to undo: common already holds revision 3") {
		t.Errorf("refused undo: %d %q", code, body)
	}
	readOnly, _ := testServer(t, nil)
	req, _ = http.NewRequest(http.MethodPost, readOnly.URL+"/api/rollout/pause", nil)
	req.Header.Set("Origin", readOnly.URL)
	if code, _ := do(t, req); code != http.StatusForbidden {
		t.Errorf("read-only view acted: %d", code)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	if code, body := do(t, req); code != http.StatusOK || !strings.Contains(body, "hotplug fleet") {
		t.Errorf("page: %d", code)
	}
}

// sseEvent is one parsed event.
type sseEvent struct{ id, typ, data string }

// readEvents reads n events from an event stream.
func readEvents(t *testing.T, r *bufio.Reader, n int) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	for len(out) < n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %d events: %v", len(out), err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if cur.typ != "" {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[6:]
		}
	}
	return out
}

// TestEventStream: a snapshot first, then one small event per changed
// cell; a reconnect with Last-Event-ID gets only what it missed.
func TestEventStream(t *testing.T) {
	srv, b := testServer(t, nil)
	if err := b.Publish(fleet(3, metav1.ConditionTrue)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(res.Body)
	first := readEvents(t, r, 1)[0]
	if first.typ != EventSnapshot || !strings.Contains(first.data, `"cluster":"c"`) {
		t.Fatalf("first event %+v", first)
	}
	next := fleet(3, metav1.ConditionTrue)
	next.Cells[5].Message = "changed"
	if err := b.Publish(next); err != nil {
		t.Fatal(err)
	}
	ev := readEvents(t, r, 1)[0]
	if ev.typ != EventCell || !strings.Contains(ev.data, `"message":"changed"`) || len(ev.data) > 400 {
		t.Fatalf("cell event %+v (%d bytes)", ev, len(ev.data))
	}
	_ = res.Body.Close()
	// Two changes while disconnected.
	for _, m := range []string{"one", "two"} {
		s := fleet(3, metav1.ConditionTrue)
		s.Cells[5].Message = m
		if err := b.Publish(s); err != nil {
			t.Fatal(err)
		}
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/events", nil)
	req.Header.Set("Last-Event-ID", ev.id)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	missed := readEvents(t, bufio.NewReader(res.Body), 2)
	if missed[0].typ != EventCell || !strings.Contains(missed[0].data, `"one"`) || !strings.Contains(missed[1].data, `"two"`) {
		t.Errorf("resumed with %+v", missed)
	}
}

// TestCellDetail: the snapshot's cells are small (no conditions, a short
// digest, no message when ready); /api/cell has the whole of one.
func TestCellDetail(t *testing.T) {
	srv, b := testServer(t, nil)
	clusters := bigFleet(2, 2)
	if err := b.Publish(Build(clusters, nil, time.Now())); err != nil {
		t.Fatal(err)
	}
	snap, _ := b.Snapshot()
	if c := snap.Cells[1]; c.Phase != PhaseReady || c.Message != "" || len(c.Digest) != 12 {
		t.Errorf("snapshot cell %+v", c)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/cell?cluster=member-000&component=component-01", nil)
	code, body := do(t, req)
	if code != http.StatusOK || !strings.Contains(body, `"message":"release is running"`) || !strings.Contains(body, `"digest":"sha256:abab`) || !strings.Contains(body, `"conditions":[{"type":"Ready"`) {
		t.Errorf("detail: %d %s", code, body)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/api/cell?cluster=member-000&component=nothing", nil)
	if code, _ := do(t, req); code != http.StatusNotFound {
		t.Errorf("unknown cell: %d", code)
	}
}

// TestStreamEndsWhenRevoked: an open event stream asks at each keep-alive
// whether its person is still admitted, and ends once they are not.
func TestStreamEndsWhenRevoked(t *testing.T) {
	defer func(d time.Duration) { keepAlive = d }(keepAlive)
	keepAlive = 50 * time.Millisecond
	b := NewBroker()
	if err := b.Publish(fleet(1, metav1.ConditionTrue)); err != nil {
		t.Fatal(err)
	}
	var admitted atomic.Bool
	admitted.Store(true)
	h := NewHandler(Options{Broker: b, Log: logr.Discard()})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(withRecheck(r.Context(), func(context.Context) bool { return admitted.Load() })))
	}))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	r := bufio.NewReader(res.Body)
	readEvents(t, r, 1)
	time.Sleep(200 * time.Millisecond) // keep-alives while admitted: the stream stays
	admitted.Store(false)
	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, r); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream stayed open after the person was no longer admitted")
	}
}
