package agent

import (
	"sync"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
)

// Outcome is what the agent last saw and did for one component. The status
// is computed from outcomes alone.
type Outcome struct {
	// Reconciled is true once the component has been planned and acted on.
	Reconciled bool
	// InFlight is the action running now, if any.
	InFlight Action
	// Release is the component's release after the last action; nil when
	// there is none.
	Release *helm.Release
	// Digest is the desired content digest the release was compared with.
	Digest string
	// Target is the Target of the configuration that Digest and the last
	// action were computed for; the status trusts the outcome only while
	// the configuration still has this Target.
	Target string
	// PackageErr is set when the chart package could not be used.
	PackageErr error
	// SourceErr is set when the chart's source failed and the package is
	// the last one its range resolved to (chartsource.Package.SourceErr).
	SourceErr error
	// ActionErr is the last failed Helm action's error.
	ActionErr error
	// Held, when set, says that the release is pending in someone else's
	// hands and left alone (who and since when, until when).
	Held string
	// Blocked, when set, says why the planned action waits for other
	// components (Gate): no Helm action runs until it clears.
	Blocked string
	// FailedAction is the action that failed.
	FailedAction Action
	// Failures counts consecutive failures, for the retry backoff.
	Failures int
	// LastDriftRepair is the last repair of the release's objects.
	LastDriftRepair *hotplugv1.DriftRepair
	// Health is the health of the release's objects, checked after every
	// action and whenever they change; nil until checked. The status
	// trusts it only for the release revision it was checked at.
	Health *ReleaseHealth
}

// ReleaseHealth is the health of one release revision's objects.
type ReleaseHealth struct {
	// Revision is the release revision whose manifest was checked.
	Revision int
	// State is Ready, Progressing or Failed (health.Summarize).
	State healthpkg.State
	// Message is the summary's message (MessageRunning when Ready).
	Message string
}

// outcomes is the agent's in-memory record, shared by the component workers.
type outcomes struct {
	mu sync.Mutex
	m  map[string]Outcome
}

func newOutcomes() *outcomes { return &outcomes{m: map[string]Outcome{}} }

func (o *outcomes) update(name string, f func(*Outcome)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.m[name]
	f(&out)
	o.m[name] = out
}

// get returns a copy of name's outcome (zero when there is none).
func (o *outcomes) get(name string) Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[name]
}

func (o *outcomes) remove(name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.m, name)
}

// snapshot copies the record so status can be computed without the lock.
func (o *outcomes) snapshot() map[string]Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]Outcome, len(o.m))
	for k, v := range o.m {
		out[k] = v
	}
	return out
}
