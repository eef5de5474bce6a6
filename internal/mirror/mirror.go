// Package mirror copies, in a member cluster, exactly two Hotplug objects
// from the pivot: `common` and the one named after the member, and only
// while they carry kubecube.io/sync: "true". It pulls, so members keep their
// last mirrored configuration while the pivot is away.
//
// A mirror is deleted only on a real, observed deletion of its source (or
// removal of its sync annotation): two authorized GETs by name, at least a
// confirmation delay apart, that show the object gone (a NotFound naming it)
// or unannotated. A read that is refused (403), whose credentials are
// rejected (401), that gets no answer, or whose answer proves nothing (an
// empty list, a 404 for the resource) keeps every mirror, and the member
// says so through Connected and State (the PivotConnected condition).
//
// When `common` asks for a Progressive rollout, the mirror of `common` takes
// its spec from the cluster's assignment on the pivot (a ControllerRevision
// that only the hub writes and that the member may read by name): an
// assignment that is missing or cannot be read or decoded keeps the mirror
// exactly as it is, so a member never changes revision on its own.
package mirror

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// Labels and annotations that mark a mirror.
const (
	// LabelMirror marks a Hotplug that the agent mirrors from the pivot.
	LabelMirror = "hotplug.kubecube.io/mirror"
	// AnnotationSourceGeneration is the pivot object's generation that the
	// mirror's spec copies, so status reported back names the right one.
	AnnotationSourceGeneration = "hotplug.kubecube.io/source-generation"
	// AnnotationStatusBy marks `common` on the pivot whose status the hub
	// owns; it is not copied into mirrors.
	AnnotationStatusBy = "hotplug.kubecube.io/status-by"
)

// Timing of the reads of the pivot.
const (
	// ProbeInterval is how often both sources are read even without an event.
	ProbeInterval = 5 * time.Second
	// ConfirmDelay is the least time between the two reads that must show a
	// source gone before its mirror is deleted.
	ConfirmDelay = 3 * time.Second
	// readTimeout bounds one read of the pivot.
	readTimeout = 10 * time.Second
)

// Mirror is a manager Runnable that keeps the two mirrors in step.
type Mirror struct {
	cluster string
	names   []string
	// rolloutNS is where the hub keeps the assignments on the pivot.
	rolloutNS string
	pivot     client.WithWatch
	local     client.Client
	log       logr.Logger
	onChange  func()
	interval  time.Duration
	confirm   time.Duration
	now       func() time.Time

	// goneAt holds, per source, when a read first showed it gone; only
	// the Start loop touches it.
	goneAt map[string]time.Time
	wakeC  chan struct{}
	// runCtx is Start's context, for the assignment's watch that starts
	// once `common` is first seen Progressive; kept says why the mirror of
	// `common` was last kept instead of applied (logged once per change).
	runCtx   context.Context
	watching bool
	kept     string

	mu     sync.Mutex
	latest map[string]Observation
	conn   Connection
}

// New returns a Mirror for cluster. rolloutNamespace is where the hub keeps
// the assignments on the pivot (empty: rollout.DefaultNamespace). onChange
// is called when a mirror or the connection state changes, so the agent can
// react.
func New(cluster, rolloutNamespace string, pivotCfg *rest.Config, local client.Client, log logr.Logger, onChange func()) (*Mirror, error) {
	pivot, err := client.NewWithWatch(pivotCfg, client.Options{Scheme: kube.Scheme})
	if err != nil {
		return nil, fmt.Errorf("pivot client: %w", err)
	}
	m := newMirror(cluster, pivot, local, log, onChange)
	if rolloutNamespace != "" {
		m.rolloutNS = rolloutNamespace
	}
	return m, nil
}

func newMirror(cluster string, pivot client.WithWatch, local client.Client, log logr.Logger, onChange func()) *Mirror {
	return &Mirror{
		cluster: cluster, names: []string{hotplugv1.CommonName, cluster}, rolloutNS: rollout.DefaultNamespace,
		pivot: pivot, local: local, log: log.WithName("mirror"), onChange: onChange,
		interval: ProbeInterval, confirm: ConfirmDelay, now: time.Now,
		goneAt: map[string]time.Time{}, wakeC: make(chan struct{}, 1), latest: map[string]Observation{},
		conn: Connection{Reason: ReasonUnreachable, Message: "Unreachable: not yet connected; " + kept},
	}
}

// Connected reports whether the last reads of the pivot were answered and
// authorized, and otherwise why not (the message of State).
func (m *Mirror) Connected() (bool, string) {
	c := m.State()
	return c.Connected, c.Message
}

// State returns the connection to the pivot with a condition reason
// (Reachable, Forbidden, Unauthorized, Unreachable, UntrustedAnswer) and a
// bounded message that says the mirrors are kept.
func (m *Mirror) State() Connection {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.conn
}

func (m *Mirror) setConnection(c Connection) {
	m.mu.Lock()
	changed := m.conn.Connected != c.Connected || m.conn.Reason != c.Reason
	m.conn = c
	m.mu.Unlock()
	if !changed {
		return
	}
	if c.Connected {
		m.log.Info("pivot reads succeed; mirroring", "reason", c.Reason)
	} else {
		m.log.Info("pivot reads fail; keeping the mirrors", "reason", c.Reason, "message", c.Message)
	}
	m.onChange()
}

// wake asks the loop for a read of the sources, without blocking.
func (m *Mirror) wake() {
	select {
	case m.wakeC <- struct{}{}:
	default:
	}
}

// Start watches both names on the pivot, reads the sources on every event
// and every probe interval, and keeps the mirrors in step until ctx ends.
func (m *Mirror) Start(ctx context.Context) error {
	m.runCtx = ctx
	for _, name := range m.names {
		if err := m.watch(ctx, m.listWatch(name), &hotplugv1.Hotplug{}); err != nil {
			return fmt.Errorf("watching pivot Hotplug %s: %w", name, err)
		}
	}
	tick := time.NewTicker(m.interval)
	defer tick.Stop()
	// confirmC fires once the confirmation delay after a source first
	// looked gone; later reads do not postpone it.
	var confirmC <-chan time.Time
	for {
		switch pending := m.check(ctx); {
		case !pending:
			confirmC = nil
		case confirmC == nil:
			confirmC = time.After(m.confirm)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-m.wakeC:
		case <-confirmC:
			confirmC = nil
		}
	}
}

// watch runs an informer of lw whose events (and watch errors) only prompt
// a read: what the watch cache holds (or no longer holds after a relist) is
// never taken as the source's state.
func (m *Mirror) watch(ctx context.Context, lw *toolscache.ListWatch, obj runtime.Object) error {
	inf := toolscache.NewSharedIndexInformer(lw, obj, 5*time.Minute, toolscache.Indexers{})
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *toolscache.Reflector, _ error) { m.wake() })
	wake := func(any) { m.wake() }
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: wake, UpdateFunc: func(_, o any) { wake(o) }, DeleteFunc: wake,
	}); err != nil {
		return err
	}
	go inf.RunWithContext(ctx)
	return nil
}

// listWatch lists and watches the single pivot object called name; the
// field selector lets RBAC restrict the member to resourceNames.
func (m *Mirror) listWatch(name string) *toolscache.ListWatch {
	sel := client.MatchingFields{"metadata.name": name}
	return &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			list := &hotplugv1.HotplugList{}
			return list, m.pivot.List(ctx, list, sel, &client.ListOptions{Raw: &opts})
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return m.pivot.Watch(ctx, &hotplugv1.HotplugList{}, sel, &client.ListOptions{Raw: &opts})
		},
	}
}

// read GETs the source called name from the pivot and classifies the answer.
func (m *Mirror) read(ctx context.Context, name string) Observation {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	src := &hotplugv1.Hotplug{}
	if err := m.pivot.Get(ctx, client.ObjectKey{Name: name}, src); err != nil {
		return Classify(name, nil, err)
	}
	return Classify(name, src, nil)
}

// check reads both sources, brings their mirrors in step as decideMirror
// says, and updates the connection state. It reports whether a deletion
// awaits confirmation.
func (m *Mirror) check(ctx context.Context) (pending bool) {
	for _, name := range m.names {
		obs := m.read(ctx, name)
		var asg *Assignment
		if name == hotplugv1.CommonName && obs.Source == SourcePresent && rollout.Progressive(obs.Object) {
			a := m.readAssignment(ctx)
			asg = &a
		}
		if ctx.Err() != nil {
			return false // shutting down: a cancelled read says nothing
		}
		m.mu.Lock()
		m.latest[name] = obs
		m.mu.Unlock()
		if m.step(ctx, obs, asg) {
			pending = true
		}
	}
	m.mu.Lock()
	c := connection(m.names, m.latest)
	m.mu.Unlock()
	m.setConnection(c)
	return pending
}

// step acts on one observation (with, for a Progressive `common`, the read
// of the cluster's assignment); it reports whether the source's deletion
// awaits confirmation.
func (m *Mirror) step(ctx context.Context, obs Observation, asg *Assignment) bool {
	cur := &hotplugv1.Hotplug{}
	err := m.local.Get(ctx, client.ObjectKey{Name: obs.Name}, cur)
	if apierrors.IsNotFound(err) {
		cur = nil
	} else if err != nil {
		m.log.Error(err, "reading the mirror; leaving it for the next round", "hotplug", obs.Name)
		return false
	}
	mirrored := cur != nil && cur.Labels[LabelMirror] == "true"
	before := m.goneAt[obs.Name]
	d := decideMirror(obs, mirrored, before, m.now(), m.confirm)
	if d.GoneAt.IsZero() {
		delete(m.goneAt, obs.Name)
	} else {
		m.goneAt[obs.Name] = d.GoneAt
	}
	switch d.Action {
	case Apply:
		want, why := desiredMirror(obs, asg)
		if obs.Name == hotplugv1.CommonName {
			m.noteKept(why, cur)
		}
		if want == nil {
			break
		}
		if err := m.upsert(ctx, want, cur); err != nil {
			m.log.Error(err, "mirroring", "hotplug", obs.Name)
		}
	case Confirm:
		if before.IsZero() {
			m.log.Info("source looks deleted or unsynced on the pivot; reading it again before deleting the mirror",
				"hotplug", obs.Name, "source", gone(obs), "confirmAfter", m.confirm)
		}
	case Delete:
		m.remove(ctx, cur, obs)
	case Keep:
	}
	return d.Action == Confirm
}

// gone names how a source is gone, for logs.
func gone(obs Observation) string {
	if obs.Source == SourceUnsynced {
		return "sync annotation removed"
	}
	return "deleted"
}

// Desired returns the mirror of src: its spec, labels and annotations (but
// the hub's), marked as a mirror of the given source generation.
func Desired(src *hotplugv1.Hotplug) *hotplugv1.Hotplug {
	labels := maps.Clone(src.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelMirror] = "true"
	ann := maps.Clone(src.Annotations)
	if ann == nil {
		ann = map[string]string{}
	}
	delete(ann, AnnotationStatusBy)
	delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
	ann[AnnotationSourceGeneration] = fmt.Sprint(src.Generation)
	return &hotplugv1.Hotplug{
		ObjectMeta: metav1.ObjectMeta{Name: src.Name, Labels: labels, Annotations: ann},
		Spec:       *src.Spec.DeepCopy(),
	}
}

// upsert makes cur (nil when there is no local object) the mirror want.
func (m *Mirror) upsert(ctx context.Context, want, cur *hotplugv1.Hotplug) error {
	gen := want.Annotations[AnnotationSourceGeneration]
	if cur == nil {
		if err := m.local.Create(ctx, want); err != nil {
			return fmt.Errorf("creating mirror %s: %w", want.Name, err)
		}
		m.log.Info("mirrored", "hotplug", want.Name, "generation", gen)
		m.onChange()
		return nil
	}
	if equality.Semantic.DeepEqual(cur.Spec, want.Spec) && maps.Equal(cur.Labels, want.Labels) && maps.Equal(cur.Annotations, want.Annotations) {
		return nil
	}
	cur.Spec, cur.Labels, cur.Annotations = want.Spec, want.Labels, want.Annotations
	if err := m.local.Update(ctx, cur); err != nil {
		return fmt.Errorf("updating mirror %s: %w", want.Name, err)
	}
	m.log.Info("mirror updated", "hotplug", want.Name, "generation", gen)
	m.onChange()
	return nil
}

// remove deletes the mirror cur after its source's deletion was confirmed.
func (m *Mirror) remove(ctx context.Context, cur *hotplugv1.Hotplug, obs Observation) {
	if err := m.local.Delete(ctx, cur, client.Preconditions{UID: &cur.UID}); err != nil && !apierrors.IsNotFound(err) {
		m.log.Error(err, "deleting mirror", "hotplug", cur.Name)
		return
	}
	m.log.Info("mirror deleted: two authorized reads of the pivot showed the source gone",
		"hotplug", cur.Name, "source", gone(obs), "confirmAfter", m.confirm)
	m.onChange()
}
