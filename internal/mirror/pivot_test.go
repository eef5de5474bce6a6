package mirror

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestWatchSignal: only the cache's lists and watches (field-selected)
// that get no answer or a 401/403 are reported; reads by name never are,
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
		{"watch cancelled by its caller", watch, cancelled, 0, context.Canceled, false},
		{"get refused", get, context.Background(), 0, refused, false},
		{"get forbidden", get, context.Background(), http.StatusForbidden, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got error
			w := &watchSignal{
				next: roundTripFunc(func(*http.Request) (*http.Response, error) {
					if c.err != nil {
						return nil, c.err
					}
					return &http.Response{StatusCode: c.status, Status: http.StatusText(c.status), Body: http.NoBody}, nil
				}),
				failed: func(err error) { got = err },
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
		})
	}
}
