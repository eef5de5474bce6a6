package mirror

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

func source(name string, synced bool) *hotplugv1.Hotplug {
	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{}}}
	if synced {
		hp.Annotations[hotplugv1.SyncAnnotation] = "true"
	}
	return hp
}

var (
	notFound      = apierrors.NewNotFound(hotplugs, "common")
	forbidden     = apierrors.NewForbidden(hotplugs, "common", errors.New(`User "hotplug-agent:m1" cannot get resource "hotplugs"`)) //nolint:staticcheck // the API server's own wording
	unauthorized  = apierrors.NewUnauthorized("Unauthorized")
	refused       = fmt.Errorf(`Get "https://127.0.0.1:1/apis": %w`, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}) //nolint:staticcheck // client-go's own wording
	errTimeout    = fmt.Errorf("reading: %w", context.DeadlineExceeded)
	serverTimeout = apierrors.NewServerTimeout(hotplugs, "get", 1)
	unavailable   = apierrors.NewServiceUnavailable("etcd is down")
	// What the API server answers for a resource it does not serve (a CRD
	// not yet installed after a restart, or removed).
	resourceNotServed = apierrors.NewNotFound(schema.GroupResource{}, "")
	// What client-go makes of a 404 page from something that is not the
	// API server: it names the object but proves nothing.
	proxy404 = apierrors.NewGenericServerResponse(404, "GET", hotplugs, "common", "<html>404</html>", 0, true)
	// Same without a body: no cause, but not the registry's message.
	empty404 = apierrors.NewGenericServerResponse(404, "GET", hotplugs, "common", "", 0, false)
	// A NotFound about another object.
	otherNotFound = apierrors.NewNotFound(hotplugs, "member-1")
)

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		obj  *hotplugv1.Hotplug
		err  error
		want Source
	}{
		{"source present and synced", source("common", true), nil, SourcePresent},
		{"annotation removed", source("common", false), nil, SourceUnsynced},
		{"NotFound naming the object", nil, notFound, SourceNotFound},
		{"NotFound wrapped", nil, fmt.Errorf("get: %w", notFound), SourceNotFound},
		{"Forbidden", nil, forbidden, SourceForbidden},
		{"Unauthorized", nil, unauthorized, SourceUnauthorized},
		{"connection refused", nil, refused, SourceUnreachable},
		{"client timeout", nil, errTimeout, SourceUnreachable},
		{"server timeout", nil, serverTimeout, SourceUnreachable},
		{"service unavailable", nil, unavailable, SourceUnreachable},
		{"empty answer without NotFound", nil, nil, SourceUntrusted},
		{"another object", source("member-1", true), nil, SourceUntrusted},
		{"404 for a resource not served", nil, resourceNotServed, SourceUntrusted},
		{"404 page from a proxy", nil, proxy404, SourceUntrusted},
		{"404 without a body", nil, empty404, SourceUntrusted},
		{"NotFound of another object", nil, otherNotFound, SourceUntrusted},
		{"unexpected error", nil, errors.New("boom"), SourceUntrusted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Classify("common", c.obj, c.err)
			if o.Source != c.want {
				t.Fatalf("Classify = %d (%s), want %d", o.Source, o.Detail, c.want)
			}
			if (o.Object != nil) != (c.want == SourcePresent || c.want == SourceUnsynced) {
				t.Errorf("object carried = %v for %d", o.Object != nil, o.Source)
			}
		})
	}
}

// TestDecideMirror: only two authorized reads showing the source gone, at
// least the confirmation delay apart and with nothing else between, delete
// a mirror; every failed or untrusted read keeps it.
func TestDecideMirror(t *testing.T) {
	const confirm = 3 * time.Second
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		obj      *hotplugv1.Hotplug
		err      error
		mirrored bool
		goneAt   time.Time
		now      time.Time
		want     Decision
	}{
		{"source present", source("common", true), nil, true, time.Time{}, t0, Decision{Action: Apply}},
		{"source present again cancels a pending deletion", source("common", true), nil, true, t0, t0.Add(time.Minute), Decision{Action: Apply}},
		{"source present, no mirror yet", source("common", true), nil, false, time.Time{}, t0, Decision{Action: Apply}},
		{"NotFound confirmed once: wait", nil, notFound, true, time.Time{}, t0, Decision{Action: Confirm, GoneAt: t0}},
		{"NotFound again too soon: wait", nil, notFound, true, t0, t0.Add(confirm - time.Millisecond), Decision{Action: Confirm, GoneAt: t0}},
		{"NotFound twice, delay passed: delete", nil, notFound, true, t0, t0.Add(confirm), Decision{Action: Delete}},
		{"NotFound, nothing mirrored", nil, notFound, false, time.Time{}, t0, Decision{Action: Keep}},
		{"annotation removed once: wait", source("common", false), nil, true, time.Time{}, t0, Decision{Action: Confirm, GoneAt: t0}},
		{"annotation removed twice: delete", source("common", false), nil, true, t0, t0.Add(confirm), Decision{Action: Delete}},
		{"Forbidden", nil, forbidden, true, time.Time{}, t0, Decision{Action: Keep}},
		{"Forbidden after a NotFound restarts the confirmation", nil, forbidden, true, t0, t0.Add(time.Hour), Decision{Action: Keep}},
		{"Unauthorized", nil, unauthorized, true, t0, t0.Add(time.Hour), Decision{Action: Keep}},
		{"timeout", nil, errTimeout, true, t0, t0.Add(time.Hour), Decision{Action: Keep}},
		{"connection refused", nil, refused, true, t0, t0.Add(time.Hour), Decision{Action: Keep}},
		{"empty list without NotFound", nil, nil, true, t0, t0.Add(time.Hour), Decision{Action: Keep}},
		{"404 for a resource not served", nil, resourceNotServed, true, t0, t0.Add(time.Hour), Decision{Action: Keep}},
		{"404 page from a proxy", nil, proxy404, true, t0, t0.Add(time.Hour), Decision{Action: Keep}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := decideMirror(Classify("common", c.obj, c.err), c.mirrored, c.goneAt, c.now, confirm)
			if got != c.want {
				t.Errorf("decideMirror = %+v (%s), want %+v (%s)", got, got.Action, c.want, c.want.Action)
			}
		})
	}
}

func TestConnection(t *testing.T) {
	names := []string{"common", "m1"}
	ok := func(n string) Observation { return Classify(n, source(n, true), nil) }
	long := apierrors.NewForbidden(hotplugs, "m1", errors.New(strings.Repeat("x", 10000)))
	cases := []struct {
		name   string
		latest map[string]Observation
		want   Connection
		says   []string
	}{
		{"all present", map[string]Observation{"common": ok("common"), "m1": ok("m1")}, Connection{Connected: true, Reason: ReasonReachable}, nil},
		{"own config deleted is still connected", map[string]Observation{"common": ok("common"), "m1": Classify("m1", nil, apierrors.NewNotFound(hotplugs, "m1"))},
			Connection{Connected: true, Reason: ReasonReachable}, nil},
		{"not read yet", map[string]Observation{"common": ok("common")}, Connection{Reason: ReasonUnreachable}, []string{"m1", "kept"}},
		{"forbidden", map[string]Observation{"common": Classify("common", nil, forbidden), "m1": ok("m1")},
			Connection{Reason: ReasonForbidden}, []string{"Forbidden: ", "cannot get", "Hotplug common", "mirrors kept"}},
		{"unauthorized", map[string]Observation{"common": ok("common"), "m1": Classify("m1", nil, unauthorized)},
			Connection{Reason: ReasonUnauthorized}, []string{"Unauthorized: credentials rejected by the pivot", "mirrors kept"}},
		{"unreachable", map[string]Observation{"common": Classify("common", nil, refused), "m1": ok("m1")},
			Connection{Reason: ReasonUnreachable}, []string{"Unreachable: ", "connection refused", "mirrors kept"}},
		{"untrusted", map[string]Observation{"common": Classify("common", nil, nil), "m1": ok("m1")},
			Connection{Reason: ReasonUntrusted}, []string{"UntrustedAnswer: ", "mirrors kept"}},
		{"long message bounded", map[string]Observation{"common": ok("common"), "m1": Classify("m1", nil, long)},
			Connection{Reason: ReasonForbidden}, []string{"Forbidden: ", "mirrors kept"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := connection(names, c.latest)
			if got.Connected != c.want.Connected || got.Reason != c.want.Reason {
				t.Fatalf("connection = %+v, want %+v", got, c.want)
			}
			for _, s := range c.says {
				if !strings.Contains(got.Message, s) {
					t.Errorf("message %q does not say %q", got.Message, s)
				}
			}
			if len(got.Message) > limits.MaxMessageBytes {
				t.Errorf("message of %d bytes", len(got.Message))
			}
		})
	}
}
