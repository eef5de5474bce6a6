package health

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// RunningMessage is the message of a Ready summary: every object of the
// release is Current. The API package owns the status contract's text.
const RunningMessage = hotplugv1.MessageRunning

// State is the health of a whole release.
type State string

const (
	// Ready means every object of the release is Current.
	Ready State = "Ready"
	// Progressing means no object has failed but some are not Current yet,
	// and the timeout after the last action has not passed.
	Progressing State = "Progressing"
	// Failed means some object is Failed or NotFound, or some object is
	// still not Current longer than the timeout after the last action.
	Failed State = "Failed"
)

// Message bounds.
const (
	// MaxListedObjects is how many objects a message names before it
	// says how many more there are.
	MaxListedObjects = 3
	// maxEntryBytes bounds one object's part of a message, so that one
	// long scheduler message cannot hide the other objects.
	maxEntryBytes = limits.MaxMessageBytes / MaxListedObjects
)

// ObjectRef names one object of a release.
type ObjectRef struct {
	// GroupVersionKind of the object as written in the manifest.
	schema.GroupVersionKind
	// Namespace of the object; empty for cluster-scoped objects (and, in
	// what Objects returns, for namespaced objects written without one).
	Namespace string
	// Name of the object.
	Name string
}

// String returns "Kind namespace/name", or "Kind name" for an object
// without namespace, the form messages use.
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// compareRefs orders refs by kind, namespace, name, then group and version,
// so that messages and results never depend on manifest or map order.
func compareRefs(a, b ObjectRef) int {
	return cmp.Or(
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Group, b.Group),
		cmp.Compare(a.Version, b.Version),
	)
}

// ObjectHealth is the observed health of one object of a release.
type ObjectHealth struct {
	// Ref names the object.
	Ref ObjectRef
	// Status is the object's kstatus: Current, InProgress, Failed,
	// Terminating, NotFound or Unknown.
	Status status.Status
	// Message is kstatus' message (or why the object could not be judged);
	// empty means the status alone is said.
	Message string
	// Reason is extra evidence beyond kstatus, such as the first troubled
	// pod of a workload ("pod web-abc: Unschedulable: …"); may be empty.
	Reason string
}

// healthy reports whether the object counts as running.
func (o ObjectHealth) healthy() bool { return o.Status == status.CurrentStatus }

// broken reports whether the object has failed for good, whatever the time
// since the last action: kstatus Failed, or the object is gone.
func (o ObjectHealth) broken() bool {
	return o.Status == status.FailedStatus || o.Status == status.NotFoundStatus
}

// entry is the object's part of a message: "Kind ns/name: message; reason",
// cut to maxEntryBytes.
func (o ObjectHealth) entry() string {
	msg := o.Message
	if msg == "" {
		msg = string(o.Status)
	}
	s := o.Ref.String() + ": " + msg
	if o.Reason != "" {
		s += "; " + o.Reason
	}
	return limits.Message(s, maxEntryBytes)
}

// Summary is the health of a whole release.
type Summary struct {
	// State is Ready, Progressing or Failed.
	State State
	// Message is RunningMessage when Ready; otherwise it names the first
	// objects (failed ones first, then those in progress, each group in
	// kind/namespace/name order) and why. At most limits.MaxMessageBytes.
	Message string
}

// Summarize decides the health of a release from the health of its objects.
// sinceAction is the time since the last Helm action (install, upgrade,
// rollback) on the release; timeout is how long objects may stay not Current
// after it, and timeout <= 0 means forever.
//
//   - every object Current (or no object at all): Ready, RunningMessage;
//   - any object Failed or NotFound: Failed;
//   - otherwise, some object InProgress, Terminating or Unknown: Progressing,
//     or Failed when sinceAction exceeds a positive timeout.
//
// The input is not modified; the result depends only on the set of objects,
// not on their order.
func Summarize(objects []ObjectHealth, sinceAction, timeout time.Duration) Summary {
	var broken, pending []ObjectHealth
	for _, o := range objects {
		switch {
		case o.healthy():
		case o.broken():
			broken = append(broken, o)
		default:
			pending = append(pending, o)
		}
	}
	if len(broken) == 0 && len(pending) == 0 {
		return Summary{State: Ready, Message: RunningMessage}
	}
	byRef := func(a, b ObjectHealth) int { return compareRefs(a.Ref, b.Ref) }
	slices.SortFunc(broken, byRef)
	slices.SortFunc(pending, byRef)
	msg := describe(slices.Concat(broken, pending))
	switch {
	case len(broken) > 0:
		return Summary{State: Failed, Message: limits.Message(msg, limits.MaxMessageBytes)}
	case timeout > 0 && sinceAction > timeout:
		msg = fmt.Sprintf("not ready %s after the last action: %s", timeout, msg)
		return Summary{State: Failed, Message: limits.Message(msg, limits.MaxMessageBytes)}
	default:
		return Summary{State: Progressing, Message: limits.Message(msg, limits.MaxMessageBytes)}
	}
}

// describe joins the entries of the first MaxListedObjects objects and says
// how many more there are.
func describe(objects []ObjectHealth) string {
	var b strings.Builder
	for i, o := range objects {
		if i == MaxListedObjects {
			fmt.Fprintf(&b, "; and %d more", len(objects)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(o.entry())
	}
	return b.String()
}

// sortRefs sorts refs in place in kind/namespace/name order.
func sortRefs(refs []ObjectRef) { slices.SortFunc(refs, compareRefs) }

// sortHealth sorts objects in place by their refs.
func sortHealth(objects []ObjectHealth) {
	slices.SortFunc(objects, func(a, b ObjectHealth) int { return compareRefs(a.Ref, b.Ref) })
}
