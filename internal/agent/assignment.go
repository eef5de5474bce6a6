package agent

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// assignments gives the pivot's own agent the revision of `common` it must
// run while `common` is Progressive: its assignment, a ControllerRevision in
// the rollout namespace that only the hub writes. It remembers the `common`
// it last used, so that a missing or unusable assignment keeps it. Members
// get theirs through the mirror instead.
type assignments struct {
	reader client.Reader // direct: a cached read would watch every ControllerRevision
	ns     string
	name   string

	// revisions reads the content an assignment names, once per revision.
	revisions rollout.RevisionReader

	mu     sync.Mutex
	last   *hotplugv1.Hotplug // common as last used, at its revision
	reason string             // why the assignment was last not used, logged once

	once   sync.Once
	start  chan struct{}           // closed when common is first seen Progressive
	events chan event.GenericEvent // the assignment changed: reconcile
}

func newAssignments(reader client.Reader, namespace, cluster string) *assignments {
	return &assignments{reader: reader, ns: namespace, name: rollout.AssignmentName(cluster),
		start: make(chan struct{}), events: make(chan event.GenericEvent)}
}

// common returns the `common` the agent must run: common itself unless it
// is Progressive, else a copy carrying the assigned spec and revision (see
// rollout.AtRevision); without a usable assignment the one last used, or an error
// that leaves every release as it is until the hub assigns a revision.
func (a *assignments) common(ctx context.Context, common *hotplugv1.Hotplug) (*hotplugv1.Hotplug, error) {
	var asg *rollout.AssignmentRead
	if rollout.Progressive(common) {
		a.once.Do(func() { close(a.start) })
		cr := &appsv1.ControllerRevision{}
		got := rollout.ClassifyAssignment(a.name, cr, a.reader.Get(ctx, client.ObjectKey{Namespace: a.ns, Name: a.name}, cr))
		got = a.revisions.Resolve(ctx, a.reader, a.ns, got)
		asg = &got
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	use, why := commonFor(common, asg, a.last)
	if why != a.reason {
		a.reason = why
		switch log := ctrl.LoggerFrom(ctx).WithValues("namespace", a.ns, "assignment", a.name); {
		case why != "" && use != nil:
			log.Info("common is Progressive and the assignment cannot be used; keeping the revision last run", "reason", why, "revision", rollout.RevisionOf(use, false))
		case why != "":
			log.Info("common is Progressive and no revision of it was run yet; releases left as they are until the hub assigns one", "reason", why)
		}
	}
	if use == nil && common != nil {
		return nil, fmt.Errorf("common is Progressive and this cluster runs no revision of it yet: %s (ControllerRevision %s/%s); releases left as they are", why, a.ns, a.name)
	}
	a.last = use
	return use, nil
}

// specOf is the spec that the assignment cr (from the watch) names, nil
// when it cannot be read now.
func (a *assignments) specOf(ctx context.Context, cr *appsv1.ControllerRevision) *hotplugv1.HotplugSpec {
	got := a.revisions.Resolve(ctx, a.reader, a.ns, rollout.ClassifyAssignment(a.name, cr, nil))
	if got.Revision == nil {
		return nil
	}
	return &got.Revision.Spec
}

// commonFor decides which `common` to run: common itself when it is absent
// or not Progressive; the assigned revision when asg holds one; else last
// (the one last run, with common's current metadata) and why; nil and why
// when there is none.
func commonFor(common *hotplugv1.Hotplug, asg *rollout.AssignmentRead, last *hotplugv1.Hotplug) (*hotplugv1.Hotplug, string) {
	switch {
	case common == nil || !rollout.Progressive(common):
		return common, ""
	case asg != nil && asg.Revision != nil:
		return rollout.AtRevision(common, asg.Revision.Spec, asg.Revision.Number), ""
	}
	why := "common is Progressive and the assignment was not read"
	if asg != nil {
		why = asg.Detail
	}
	if last == nil {
		return nil, why
	}
	return rollout.AtRevision(common, last.Spec, rollout.RevisionOf(last, false)), why
}

// watch returns a manager runnable that, once `common` is first seen
// Progressive, watches the assignment by name (a field selector, so RBAC
// may restrict by resource name) and turns its changes into reconciles,
// until ctx ends.
func (a *assignments) watch(cfg *rest.Config) func(context.Context) error {
	return func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return nil
		case <-a.start:
		}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return fmt.Errorf("agent: watching the assignment %s/%s: %w", a.ns, a.name, err)
		}
		lw := toolscache.NewListWatchFromClient(cs.AppsV1().RESTClient(), "controllerrevisions", a.ns, fields.OneTermEqualSelector("metadata.name", a.name))
		inf := toolscache.NewSharedIndexInformer(lw, &appsv1.ControllerRevision{}, 10*time.Minute, toolscache.Indexers{})
		send := func(o any) {
			cr, ok := o.(*appsv1.ControllerRevision)
			if !ok {
				cr = &appsv1.ControllerRevision{}
				cr.Namespace, cr.Name = a.ns, a.name
			}
			select {
			case a.events <- event.GenericEvent{Object: cr}:
			case <-ctx.Done():
			}
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc: send, UpdateFunc: func(_, o any) { send(o) }, DeleteFunc: send,
		}); err != nil {
			return fmt.Errorf("agent: watching the assignment %s/%s: %w", a.ns, a.name, err)
		}
		inf.RunWithContext(ctx)
		return nil
	}
}
