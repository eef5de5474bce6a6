package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
)

//go:embed web
var webFiles embed.FS

// keepAlive is how often an idle event stream sends a comment, so that
// proxies keep it open and a dead browser is noticed, and asks again
// whether the person is still admitted (a variable for tests).
var keepAlive = 15 * time.Second

// Actions are the changes the page can ask for, done with the identity of
// the person using it. A nil Actions makes the view read-only.
type Actions interface {
	// Rollout pauses, resumes or undoes the rollout of common (op is
	// "pause", "resume" or "undo") and says what happened.
	Rollout(ctx context.Context, op string) (string, error)
	// Switch sets component's status (enabled or disabled) in cluster's
	// own Hotplug, as `hotplug enable|disable --cluster` does; with dryRun
	// the API server (and the webhook) check it and nothing is stored, so
	// the page can show what would change before it is confirmed.
	Switch(ctx context.Context, cluster, component, status string, dryRun bool) (string, error)
	// Allowed tells, per action ("pause", "resume", "undo", "switch"),
	// whether the person may do it (the page shows only those enabled; the
	// API server still decides).
	Allowed(ctx context.Context) map[string]bool
}

// Options configure a Handler.
type Options struct {
	// Broker serves the snapshot and its changes; required.
	Broker *Broker
	// Hosts are the Host header values the server answers (its bound
	// address): anything else is refused, so a DNS name rebound to
	// loopback cannot read the fleet from another site's page. Empty
	// (the hub's mode, behind a proxy or port-forward, every request
	// carrying a token): any Host.
	Hosts []string
	// Actions, when set, enables the action endpoints.
	Actions Actions
	// Explain, when set, serves /api/config: a component's effective
	// configuration in a cluster with the layer that set each value.
	Explain Explainer
	// Events, when set, serves /api/cell/events: a cell's recent events.
	Events EventReader
	// Auth, when set, requires a bearer token on every /api/ request
	// (the hub's mode); nil trusts whoever reaches the loopback address
	// (the operator's own machine).
	Auth *TokenAuth
	// Log receives one line per refused request and action.
	Log logr.Logger
}

// NewHandler serves the embedded page, /api/snapshot, the event stream
// /api/events and the actions, behind the Host and same-origin checks.
func NewHandler(o Options) http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(webFiles, "web")
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/snapshot", func(w http.ResponseWriter, r *http.Request) {
		if err := o.Broker.Ready(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		snap, id := o.Broker.Snapshot()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Event-Id", strconv.FormatUint(id, 10))
		_ = json.NewEncoder(w).Encode(snap)
	})
	mux.HandleFunc("GET /api/events", func(w http.ResponseWriter, r *http.Request) { serveEvents(w, r, o.Broker) })
	mux.HandleFunc("GET /api/whoami", func(w http.ResponseWriter, r *http.Request) {
		allowed := map[string]bool{}
		if o.Actions != nil {
			allowed = o.Actions.Allowed(r.Context())
		}
		body := map[string]any{"actions": allowed}
		if id, ok := IdentityFrom(r.Context()); ok {
			body["user"] = id.User
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
	mux.HandleFunc("GET /api/cell", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		d, ok := o.Broker.Detail(q.Get("cluster"), q.Get("component"))
		if !ok {
			http.Error(w, fmt.Sprintf("no component %q in cluster %q", q.Get("component"), q.Get("cluster")), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(d)
	})
	mux.HandleFunc("GET /api/config", func(w http.ResponseWriter, r *http.Request) { serveConfig(w, r, o) })
	mux.HandleFunc("GET /api/cell/events", func(w http.ResponseWriter, r *http.Request) { serveCellEvents(w, r, o) })
	mux.HandleFunc("POST /api/switch", func(w http.ResponseWriter, r *http.Request) { serveSwitch(w, r, o) })
	mux.HandleFunc("POST /api/rollout/{op}", func(w http.ResponseWriter, r *http.Request) { serveRollout(w, r, o) })
	if o.Auth != nil {
		return guard(o, requireToken(o.Auth, o.Log, mux))
	}
	return guard(o, mux)
}

// StatusError is an error with the HTTP status it answers (an API server's
// 403 or 422 passes through unchanged).
type StatusError interface {
	error
	Status() int
}

// statusOf is err's HTTP status: its own, else 500.
func statusOf(err error) int {
	var se StatusError
	if errors.As(err, &se) {
		return se.Status()
	}
	return http.StatusInternalServerError
}

// guard refuses a request for another Host, and a state-changing request
// that is not from the page itself (same origin), before any handler.
func guard(o Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		if len(o.Hosts) > 0 && !slices.Contains(o.Hosts, r.Host) {
			o.Log.Info("request for another host refused", "host", r.Host)
			http.Error(w, fmt.Sprintf("host %q is not this dashboard's address", r.Host), http.StatusMisdirectedRequest)
			return
		}
		// A bearer token in a header is never added by a browser on its
		// own, so such a request cannot be forged by another site.
		headerToken := o.Auth != nil && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) && !headerToken {
			o.Log.Info("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
			http.Error(w, "cross-origin request refused: actions come from the dashboard's own page", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin tells whether a state-changing request comes from the page:
// its Origin is this server's, or, without Origin, the browser says
// same-origin. A request with neither is refused.
func sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true // the browser's own word, whatever a proxy did to Host
	}
	origin := r.Header.Get("Origin")
	return origin != "" && (origin == "http://"+r.Host || origin == "https://"+r.Host)
}

// serveEvents streams the broker's events: what the browser missed since
// Last-Event-ID (or a snapshot), then every change, with keep-alives.
func serveEvents(w http.ResponseWriter, r *http.Request, b *Broker) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	if err := b.Ready(r.Context()); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	last, err := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64)
	first, ch, cancel, serr := b.Subscribe(last, err == nil)
	if serr != nil {
		http.Error(w, serr.Error(), http.StatusInternalServerError)
		return
	}
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	for _, e := range first {
		writeEvent(w, e)
	}
	flusher.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	rc := http.NewResponseController(w)
	for {
		// A browser that stops reading is let go instead of holding the
		// handler (and shutdown) for ever.
		_ = rc.SetWriteDeadline(time.Now().Add(2 * keepAlive))
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if !stillAdmitted(r.Context()) {
				return // the token or the right was revoked
			}
			_, _ = fmt.Fprint(w, ": keep-alive\n\n")
		case e, open := <-ch:
			if !open {
				return // too far behind: the browser reconnects and resumes
			}
			writeEvent(w, e)
		}
		if rc.Flush() != nil {
			return // gone, or stopped reading past the deadline
		}
	}
}

// writeEvent writes one event in the text/event-stream format (its data is
// one line of JSON).
func writeEvent(w http.ResponseWriter, e Event) {
	_, _ = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Type, e.Data)
}
