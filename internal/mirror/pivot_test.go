package mirror

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestWatchSignal: only the cache's lists and watches (field-selected)
// that get no answer, a 401/403, a 429 or a 5xx are reported; reads by name never are,
// whatever their answer, nor requests cancelled by their caller.
func TestWatchSignal(t *testing.T) {
	refused := errors.New("dial tcp: connection refused")
	const (
		watch = "https://pivot/apis/hotplug.kubecube.io/v1/hotplugs?fieldSelector=metadata.name%3Dcommon&watch=true"
		list  = "https://pivot/apis/apps/v1/namespaces/ns/controllerrevisions?fieldSelector=metadata.name%3Da"
		get   = "https://pivot/apis/hotplug.kubecube.io/v1/hotplugs/common"
	)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name   string
		url    string
		ctx    context.Context
		status int
		err    error
		want   bool
	}{
		{"watch refused", watch, context.Background(), 0, refused, true},
		{"watch forbidden", watch, context.Background(), http.StatusForbidden, nil, true},
		{"list unauthorized", list, context.Background(), http.StatusUnauthorized, nil, true},
		{"watch answered", watch, context.Background(), http.StatusOK, nil, false},
		{"list gone (resource version too old)", list, context.Background(), http.StatusGone, nil, false},
		{"watch throttled", watch, context.Background(), http.StatusTooManyRequests, nil, true},
		{"list unavailable", list, context.Background(), http.StatusServiceUnavailable, nil, true},
		{"watch cancelled by its caller", watch, cancelled, 0, context.Canceled, false},
		{"get refused", get, context.Background(), 0, refused, false},
		{"get forbidden", get, context.Background(), http.StatusForbidden, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got error
			h := newWatchHealth(func(err error) { got = err })
			w := &watchSignal{
				next: roundTripFunc(func(*http.Request) (*http.Response, error) {
					if c.err != nil {
						return nil, c.err
					}
					return &http.Response{StatusCode: c.status, Status: http.StatusText(c.status), Body: http.NoBody}, nil
				}),
				health: h,
			}
			req, err := http.NewRequestWithContext(c.ctx, http.MethodGet, c.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, rerr := w.RoundTrip(req)
			if !errors.Is(rerr, c.err) {
				t.Errorf("round trip error %v, want %v passed through", rerr, c.err)
			}
			if resp != nil && resp.StatusCode != c.status {
				t.Errorf("status %d, want %d passed through", resp.StatusCode, c.status)
			}
			if (got != nil) != c.want {
				t.Errorf("reported %v, want reported=%v", got, c.want)
			}
			if h.healthy() == c.want {
				t.Errorf("healthy() = %v after %s", h.healthy(), c.name)
			}
		})
	}
}

// TestWatchHealthRecovers: the cache is untrusted from a failed list or
// watch of any held object until that object's next answered one; another
// object's success does not count.
func TestWatchHealthRecovers(t *testing.T) {
	h := newWatchHealth(nil)
	refused := errors.New("connection refused")
	h.record("/hotplugs?metadata.name=common", refused)
	h.record("/hotplugs?metadata.name=m1", refused)
	h.record("/hotplugs?metadata.name=common", nil)
	if h.healthy() {
		t.Fatal("healthy while m1's watch still fails")
	}
	h.record("/hotplugs?metadata.name=m1", nil)
	if !h.healthy() {
		t.Fatal("not healthy after both watches were answered")
	}
}

// TestFreshness: a cached copy is used only when it is not older than what
// was read past the cache, only for the same object, never at the
// generation a read showed unsynced, and never after a read found the
// source gone.
func TestFreshness(t *testing.T) {
	f := freshness{}
	if !f.fresh("common", "a", 3) {
		t.Error("nothing read yet: any cached copy is fresh")
	}
	f.observe("common", "a", 5, true)
	for _, c := range []struct {
		uid     string
		version int64
		want    bool
	}{
		{"a", 4, false}, // the watch lags: generation 4 after 5 was read
		{"a", 5, true},
		{"b", 9, false}, // another object of the same name
		{"a", 6, true},
		{"a", 5, false}, // 6 was seen from the cache since
	} {
		if got := f.fresh("common", types.UID(c.uid), c.version); got != c.want {
			t.Errorf("fresh(%s, %d) = %v, want %v", c.uid, c.version, got, c.want)
		}
	}

	// Unsynced at generation 6: a synced copy at 6 may predate it.
	f.observe("common", "a", 6, false)
	if f.fresh("common", "a", 6) {
		t.Error("a synced cached copy at the generation read unsynced was used")
	}
	if !f.fresh("common", "a", 7) {
		t.Error("a copy newer than the unsynced read was refused")
	}

	// Gone: no cached copy until the pivot shows one again.
	f.gone("common")
	for _, uid := range []string{"a", "b", ""} {
		if f.fresh("common", types.UID(uid), 9) {
			t.Errorf("after a read found it gone, a cached copy (uid %q) was used", uid)
		}
	}
	f.observe("common", "b", 1, true)
	if !f.fresh("common", "b", 1) {
		t.Error("the recreated object, once read past the cache, is refused from the cache")
	}
}
