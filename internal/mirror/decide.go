package mirror

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// Source is what one read of a mirrored object on the pivot showed.
type Source int

// What a read of the source can show. Only SourcePresent, SourceUnsynced and
// SourceNotFound come from an authorized answer that names the object; the
// rest say nothing about the source and never remove a mirror.
const (
	// SourcePresent: the object exists and carries kubecube.io/sync: "true".
	SourcePresent Source = iota
	// SourceUnsynced: the object exists without the sync annotation.
	SourceUnsynced
	// SourceNotFound: a GET by name answered NotFound for this very object.
	SourceNotFound
	// SourceForbidden: the pivot refused the read (403).
	SourceForbidden
	// SourceUnauthorized: the pivot rejected the member's credentials (401).
	SourceUnauthorized
	// SourceUnreachable: no answer (connection refused, timeout, 5xx, 429).
	SourceUnreachable
	// SourceUntrusted: an answer that proves nothing (empty, another object,
	// a 404 that does not name the object, an unexpected error).
	SourceUntrusted
)

// Condition reasons for the pivot connection, one per kind of failed read.
const (
	// ReasonReachable: every read of the sources was answered and authorized.
	ReasonReachable = "Reachable"
	// ReasonForbidden: the pivot refuses this member's reads.
	ReasonForbidden = "Forbidden"
	// ReasonUnauthorized: the pivot rejects this member's credentials.
	ReasonUnauthorized = "Unauthorized"
	// ReasonUnreachable: the pivot does not answer.
	ReasonUnreachable = "Unreachable"
	// ReasonUntrusted: the pivot gave an answer that proves nothing.
	ReasonUntrusted = "UntrustedAnswer"
)

// kept ends every message about a failed read.
const kept = "mirrors kept until an authorized read shows the source deleted"

// Observation is one classified read of the source called Name.
type Observation struct {
	Name   string
	Source Source
	// Object is the source when Source is SourcePresent or SourceUnsynced.
	Object *hotplugv1.Hotplug
	// Detail explains a failed read, bounded.
	Detail string
	// KindUnserved: the answer was a 404 that names no object, as the API
	// server gives for a resource it does not serve (the Hotplug CRD
	// deleted); see guardKind.
	KindUnserved bool
}

// Classify turns the answer of a GET of the pivot object name into an
// Observation. Only a NotFound whose details name this object counts as
// absence: the API server's 404 for a resource it does not serve (a CRD
// not yet or no longer installed) names no object, and an answer with no
// object and no error (an empty list) proves nothing.
func Classify(name string, obj *hotplugv1.Hotplug, err error) Observation {
	o := Observation{Name: name}
	switch {
	case err == nil && obj != nil && obj.Name == name:
		o.Object = obj
		o.Source = SourceUnsynced
		if obj.Annotations[hotplugv1.SyncAnnotation] == "true" {
			o.Source = SourcePresent
		}
	case err == nil && obj == nil:
		o.Source, o.Detail = SourceUntrusted, "the pivot answered without the object and without an error"
	case err == nil:
		o.Source, o.Detail = SourceUntrusted, fmt.Sprintf("the pivot answered with Hotplug %q", obj.Name)
	case apierrors.IsNotFound(err):
		if namesObject(err, name) {
			o.Source = SourceNotFound
		} else {
			o.Source, o.Detail = SourceUntrusted, "a NotFound that does not name the object: "+err.Error()
			o.KindUnserved = true
		}
	case apierrors.IsForbidden(err):
		o.Source, o.Detail = SourceForbidden, err.Error()
	case apierrors.IsUnauthorized(err):
		o.Source, o.Detail = SourceUnauthorized, "credentials rejected by the pivot"
	case unreachable(err):
		o.Source, o.Detail = SourceUnreachable, err.Error()
	default:
		o.Source, o.Detail = SourceUntrusted, err.Error()
	}
	o.Detail = limits.Message(o.Detail, limits.MaxMessageBytes/2)
	return o
}

// hotplugs is the resource whose objects are mirrored.
var hotplugs = schema.GroupResource{Group: hotplugv1.GroupVersion.Group, Resource: "hotplugs"}

// namesObject reports whether a NotFound error is the API server's answer
// that the Hotplug name does not exist: its details name the object and
// its message is the registry's own. A 404 that client-go made up from a
// body it could not decode (a proxy's page, an empty body) names the
// object too, but says "could not find the requested resource".
func namesObject(err error, name string) bool {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return false
	}
	s := st.Status()
	d := s.Details
	return d != nil && d.Name == name && d.Group == hotplugs.Group && d.Kind == hotplugs.Resource &&
		len(d.Causes) == 0 && s.Message == apierrors.NewNotFound(hotplugs, name).Status().Message
}

// unreachable reports errors that mean the pivot did not answer the read.
func unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) ||
		apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsInternalError(err) || apierrors.IsUnexpectedServerError(err) ||
		strings.Contains(err.Error(), "connection refused")
}

// Action is what to do with a mirror after an observation.
type Action int

// Actions of decideMirror.
const (
	// Keep leaves the mirror as it is.
	Keep Action = iota
	// Apply creates or updates the mirror from the source.
	Apply
	// Confirm keeps the mirror and reads the source again after the
	// confirmation delay: it looked deleted or unsynced once.
	Confirm
	// Delete removes the mirror: two authorized reads, at least the
	// confirmation delay apart, showed the source deleted or unsynced.
	Delete
	// Hold keeps the mirror and marks it held (AnnotationKindVanished):
	// its source vanished with its kind (the Hotplug CRD deleted on the
	// pivot), so its absence is no longer taken as a deletion.
	Hold
)

func (a Action) String() string {
	return [...]string{"keep", "apply", "confirm", "delete", "hold"}[a]
}

// Decision is decideMirror's answer: the action and when the source was
// first seen gone (zero while it is not).
type Decision struct {
	Action Action
	GoneAt time.Time
}

// decideMirror decides what to do with the mirror of one source. obs is
// the latest read; mirrored says a local mirror of it exists; goneAt is
// when an authorized read first showed the source deleted or unsynced (zero
// if the last read did not). A mirror is deleted only when a second such
// read comes at least confirm after the first with nothing else between: a
// refused, failed or untrusted read keeps the mirror and restarts the
// confirmation.
func decideMirror(obs Observation, mirrored bool, goneAt, now time.Time, confirm time.Duration) Decision {
	switch obs.Source {
	case SourcePresent:
		return Decision{Action: Apply}
	case SourceNotFound, SourceUnsynced:
		if !mirrored {
			return Decision{Action: Keep}
		}
		if goneAt.IsZero() {
			return Decision{Action: Confirm, GoneAt: now}
		}
		if now.Sub(goneAt) >= confirm {
			return Decision{Action: Delete}
		}
		return Decision{Action: Confirm, GoneAt: goneAt}
	default:
		return Decision{Action: Keep}
	}
}

// Connection is the state of the member's link to the pivot, as the
// PivotConnected condition shows it.
type Connection struct {
	Connected bool
	// Reason is one of the Reason* constants.
	Reason string
	// Message says what failed and that the mirrors are kept; bounded.
	Message string
}

// connection sums up the latest observation of every mirrored source
// (in names' order): connected only when every read was authorized and
// trusted; otherwise the first failure gives the reason.
func connection(names []string, latest map[string]Observation) Connection {
	for _, n := range names {
		o, ok := latest[n]
		if !ok {
			return Connection{Reason: ReasonUnreachable, Message: limits.Message("Unreachable: Hotplug "+n+" not read yet; "+kept, limits.MaxMessageBytes)}
		}
		var reason string
		switch o.Source {
		case SourcePresent, SourceUnsynced, SourceNotFound:
			continue
		case SourceForbidden:
			reason = ReasonForbidden
		case SourceUnauthorized:
			reason = ReasonUnauthorized
		case SourceUnreachable:
			reason = ReasonUnreachable
		default:
			reason = ReasonUntrusted
		}
		msg := fmt.Sprintf("%s: %s (reading Hotplug %s); %s", reason, o.Detail, n, kept)
		return Connection{Reason: reason, Message: limits.Message(msg, limits.MaxMessageBytes)}
	}
	return Connection{Connected: true, Reason: ReasonReachable, Message: "the pivot cluster answers"}
}
