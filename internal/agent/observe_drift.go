package agent

import (
	"context"
	"sync"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kubecube-io/hotplug/internal/drift"
	healthpkg "github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// minDriftInterval spaces drift detection of one component: every detection
// reads each object of the release twice (GET and a dry-run apply), and
// reconciles come often while workloads change. A deleted workload is seen
// by the health watch and repaired at the next detection.
const minDriftInterval = 10 * time.Second

// progressDriftWait is how soon a component whose drift check was put off
// by a rollout is looked at again.
const progressDriftWait = 2 * time.Second

// driftDetector finds and repairs drift of a release's objects;
// *drift.Detector is one.
type driftDetector interface {
	Detect(ctx context.Context, rel drift.Release) ([]drift.Drift, error)
	Repair(ctx context.Context, rel drift.Release, drifts []drift.Drift) ([]healthpkg.ObjectRef, error)
}

// driftKeeper is the agent's drift state: the detector, the backoff of
// components that keep drifting or whose repair fails, when each was last
// checked, and the last unrepaired-drift Event said for each.
type driftKeeper struct {
	detector driftDetector
	tracker  *drift.Tracker

	mu       sync.Mutex
	checked  map[string]time.Time
	reported map[string]string
}

func newDriftKeeper(d driftDetector, backoff drift.TrackerOptions) *driftKeeper {
	return &driftKeeper{detector: d, tracker: drift.NewTracker(backoff), checked: map[string]time.Time{}, reported: map[string]string{}}
}

// newReport records msg as the component's unrepaired-drift report and
// tells whether it differs from the last one (only then is it said again).
func (k *driftKeeper) newReport(name, msg string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.reported[name] == msg {
		return false
	}
	k.reported[name] = msg
	return true
}

// due tells whether the component's release may be checked now, and if so
// records the check; otherwise it says how long until it may.
func (k *driftKeeper) due(name string, now time.Time) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if last, ok := k.checked[name]; ok && now.Sub(last) < minDriftInterval {
		return false, minDriftInterval - now.Sub(last)
	}
	k.checked[name] = now
	return true, 0
}

// forget drops a component's state once it has no release to watch.
func (k *driftKeeper) forget(name string) {
	k.mu.Lock()
	delete(k.checked, name)
	delete(k.reported, name)
	k.mu.Unlock()
	k.tracker.Forget(name)
}

// observeDrift fills obs with the drift of the in-sync release rel, when
// drift repair is on and a check is due; when one is not due yet it returns
// how long until it is, so that a change seen meanwhile is checked then. A
// failed detection is logged and treated as no drift: drift repair never
// blocks the component's own reconcile.
func (r *Reconciler) observeDrift(ctx context.Context, name string, rel *helm.Release, d Desired, obs *Observed) time.Duration {
	if r.drift == nil || rel == nil || d.Component == nil {
		return 0
	}
	if h := r.outs.get(name).Health; h == nil || h.Revision != rel.Revision || h.State == healthpkg.Progressing {
		// Not while the release rolls out (or before its health is
		// known): the objects change under the controllers anyway, and a
		// check of every object would compete with the rollout (and with
		// Helm's actions of other components) for the API server. Look
		// again shortly: the health this reconcile computes may be the
		// ready one (a deleted object fails the health at once).
		return progressDriftWait
	}
	if ok, wait := r.drift.due(name, time.Now()); !ok {
		return wait
	}
	ds, err := r.drift.detector.Detect(ctx, driftRelease(rel, d.Component))
	if err != nil {
		ctrl.LoggerFrom(ctx).Info("drift detection failed; trying again later", "error", limits.Message(err.Error(), limits.MaxMessageBytes))
		return 0
	}
	obs.Drift = ds
	if len(ds) == 0 {
		r.drift.newReport(name, "") // in sync: drift coming back is said again
	}
	if len(ds) > 0 {
		if ok, next := r.drift.tracker.Allow(name); !ok {
			obs.DriftHeldUntil = next
		}
	}
	return 0
}

// driftRelease is what the detector compares for the component's release:
// its manifest and the component's driftIgnore rules.
func driftRelease(rel *helm.Release, c *merge.Component) drift.Release {
	out := drift.Release{Name: rel.Name, Namespace: rel.Namespace, Manifest: rel.Manifest}
	if c == nil {
		return out
	}
	for _, ig := range c.DriftIgnore {
		t := ig.Target
		out.Ignore = append(out.Ignore, drift.Ignore{Group: t.Group, Version: t.Version, Kind: t.Kind, Name: t.Name, Namespace: t.Namespace, Paths: ig.Paths})
	}
	return out
}
