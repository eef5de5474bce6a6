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
//
// The pivot is a controller-runtime cluster whose cache holds only those
// objects, each through an informer scoped by name (internal/namedcache),
// so a member's name-scoped RBAC suffices and the pivot serves it from
// watches. Present sources are read from that cache; absence, every
// deletion's two confirming reads and the connection checks read past it.
// While the watches are healthy the pivot is read directly only every
// HealthyProbeInterval, because a grant revoked under a running watch goes
// unseen until that watch ends; a failed watch or a failed read brings
// ProbeInterval back, and a pending deletion is read again after
// ConfirmDelay.
package mirror

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/namedcache"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// Timing of the reads of the pivot.
const (
	// ProbeInterval is how often both sources are read past the cache
	// while the connection is failing or not yet confirmed.
	ProbeInterval = 5 * time.Second
	// HealthyProbeInterval is how often they are read past the cache while
	// the last reads were answered and no watch has failed since: it bounds
	// how late a grant revoked under a running watch is noticed.
	HealthyProbeInterval = 30 * time.Second
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
	// pivot is the pivot cluster whose cache holds the sources by name;
	// nil in unit tests, where every read is live.
	pivot cluster.Cluster
	// cached reads pivot's cache, live reads past it; informers is the
	// cache (nil without one).
	cached, live client.Reader
	informers    cache.Informers
	// health says whether the cache's watches are up; nil without a cache.
	health *watchHealth
	// seen keeps what was last read of each source and the assignment, so
	// that a cached copy older than that (its watch lags) is read again
	// past the cache: a mirror never goes back to an older spec.
	seen     freshness
	local    client.Client
	log      logr.Logger
	onChange func()
	interval time.Duration
	healthy  time.Duration
	confirm  time.Duration
	now      func() time.Time
	// kind reads whether the pivot serves the Hotplug kind (see
	// guardKind); nil in unit tests: always served.
	kind kube.KindReader

	// goneAt holds, per source, when a read first showed it gone; only
	// the Start loop touches it.
	goneAt map[string]time.Time
	wakeC  chan struct{}
	// liveWanted asks the next round to read past the cache: a watch
	// failed, so the cache may be stale and the connection unknown.
	liveWanted atomic.Bool
	// cacheStopped is set when the pivot cluster (its cache) stopped with
	// an error: from then on every read goes past it.
	cacheStopped atomic.Bool
	// runCtx is Start's context, for the assignment's informer that starts
	// once `common` is first seen Progressive; kept says why the mirror of
	// `common` was last kept instead of applied (logged once per change).
	runCtx   context.Context
	watching map[string]bool
	kept     string
	// revisions reads the content an assignment names.
	revisions rollout.RevisionReader

	mu     sync.Mutex
	latest map[string]Observation
	conn   Connection
}

// New returns a Mirror for cluster. rolloutNamespace is where the hub keeps
// the assignments on the pivot (empty: rollout.DefaultNamespace). onChange
// is called when a mirror or the connection state changes, so the agent can
// react.
func New(cluster, rolloutNamespace string, pivotCfg *rest.Config, local client.Client, log logr.Logger, onChange func()) (*Mirror, error) {
	if rolloutNamespace == "" {
		rolloutNamespace = rollout.DefaultNamespace
	}
	var m *Mirror
	health := newWatchHealth(func(err error) { m.watchFailed(namedcache.Object{}, err) })
	pc, err := newPivotCluster(pivotCfg, cluster, rolloutNamespace, log.WithName("pivot"), health, func(obj namedcache.Object, err error) {
		m.watchFailed(obj, err)
	})
	if err != nil {
		return nil, err
	}
	m = newMirror(cluster, pc.GetAPIReader(), local, log, onChange)
	if m.kind, err = kube.HotplugKind(pivotCfg, readTimeout); err != nil {
		return nil, err
	}
	m.health = health
	m.rolloutNS = rolloutNamespace
	m.pivot, m.cached, m.informers = pc, pc.GetClient(), pc.GetCache()
	return m, nil
}

// newMirror returns a Mirror without a cache: every read of pivot is live.
func newMirror(cluster string, pivot client.Reader, local client.Client, log logr.Logger, onChange func()) *Mirror {
	return &Mirror{
		cluster: cluster, names: []string{hotplugv1.CommonName, cluster}, rolloutNS: rollout.DefaultNamespace,
		cached: pivot, live: pivot, local: local, log: log.WithName("mirror"), onChange: onChange,
		interval: ProbeInterval, healthy: HealthyProbeInterval, confirm: ConfirmDelay, now: time.Now,
		goneAt: map[string]time.Time{}, wakeC: make(chan struct{}, 1), latest: map[string]Observation{},
		watching: map[string]bool{}, seen: freshness{},
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

// Start runs the pivot cluster, watches both sources through its cache,
// reads them on every event and every probe, and keeps the mirrors in step
// until ctx ends. The agent never waits for the pivot's cache: a pivot that
// cannot be reached leaves the mirrors as they are.
func (m *Mirror) Start(ctx context.Context) error {
	m.runCtx = ctx
	if m.pivot != nil {
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			if err := m.pivot.Start(ctx); err != nil {
				m.cacheStopped.Store(true)
				m.log.Error(err, "the pivot's cache stopped; reading the pivot every probe interval")
			}
		}()
		// The cache's informers end with the Runnable.
		defer func() { <-stopped }()
	}
	// Since Go 1.23 Reset needs no drain: a stopped or reset timer never
	// delivers a stale tick.
	timer := time.NewTimer(m.interval)
	defer timer.Stop()
	// confirmC fires once the confirmation delay after a source first
	// looked gone; later reads do not postpone it.
	var confirmC <-chan time.Time
	live := true
	// lastLive is when the sources were last read past the cache: the next
	// probe counts from there, so that events (common's status changes
	// with every roll-up) cannot postpone it.
	var lastLive time.Time
	for {
		if live {
			lastLive = time.Now()
			m.liveWanted.Store(false) // this round reads past the cache
		}
		switch pending := m.check(ctx, live); {
		case !pending:
			confirmC = nil
		case confirmC == nil:
			confirmC = time.After(m.confirm)
		}
		timer.Reset(time.Until(lastLive.Add(m.probeEvery())))
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
			live = true
		case <-m.wakeC:
			live = m.liveWanted.Swap(false)
		case <-confirmC:
			confirmC, live = nil, true
		}
	}
}

// probeEvery is the time until the next read past the cache: short while
// the connection is failing or a watch has failed since the last reads.
func (m *Mirror) probeEvery() time.Duration {
	if m.cacheTrusted() && !m.liveWanted.Load() {
		return m.healthy
	}
	return m.interval
}

// cacheTrusted reports whether reads may come from the cache: there is
// one, the last reads past it were answered (a watch opened before a grant
// was revoked keeps delivering), and none of its watches is failing (after
// an outage each resumes after its own backoff, holding what it held).
func (m *Mirror) cacheTrusted() bool {
	return m.informers != nil && !m.cacheStopped.Load() && m.State().Connected && (m.health == nil || m.health.healthy())
}

// watch starts the cache's informer of the pivot object obj names (without
// waiting for it) and makes its events wake the loop. Events only prompt a
// round: what the cache no longer holds is read again past it.
func (m *Mirror) watch(obj client.Object) {
	key := obj.GetNamespace() + "/" + obj.GetName()
	if m.informers == nil || m.watching[key] {
		return
	}
	inf, err := m.informers.GetInformer(m.runCtx, obj, cache.BlockUntilSynced(false))
	if err == nil {
		wake := func(any) { m.wake() }
		_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc: wake, UpdateFunc: func(_, o any) { wake(o) }, DeleteFunc: wake,
		})
	}
	if err != nil {
		// Tried again at every round; until then rounds read past the cache.
		m.log.Error(err, "watching the pivot", "namespace", obj.GetNamespace(), "name", obj.GetName())
		m.liveWanted.Store(true)
		return
	}
	m.watching[key] = true
}

// watchFailed is told of a failed list or watch of a source: the cache may
// be stale and the pivot may refuse this member, so the next round reads
// past the cache, at once.
func (m *Mirror) watchFailed(obj namedcache.Object, err error) {
	if !m.liveWanted.Swap(true) {
		m.log.V(1).Info("a watch of the pivot failed; reading past the cache", "name", obj.Name, "error", err.Error())
	}
	m.wake()
}

// read returns the source called name: from the cache when live is false
// and the synced cache holds it with its sync annotation and no older than
// the last read past the cache (see freshness), otherwise by a GET past it
// (a source the cache does not hold, or holds unsynced, is never taken as
// gone without the pivot's own answer). It says whether the answer came
// from the pivot itself.
func (m *Mirror) read(ctx context.Context, name string, live bool) (Observation, bool) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	src := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if !live && m.fromCache(ctx, src) {
		if obs := Classify(name, src, nil); obs.Source == SourcePresent && m.seen.fresh(name, src.UID, src.Generation) {
			return obs, false
		}
		// Unsynced (like absence, only the pivot's answer counts) or older
		// than what was read before.
		src = &hotplugv1.Hotplug{}
	}
	if err := m.live.Get(ctx, client.ObjectKey{Name: name}, src); err != nil {
		if apierrors.IsNotFound(err) {
			m.seen.gone(name)
		}
		return Classify(name, nil, err), true
	}
	obs := Classify(name, src, nil)
	m.seen.observe(name, src.UID, src.Generation, obs.Source == SourcePresent)
	return obs, true
}

// fromCache fills obj (named) from the pivot's cache if its informer has
// synced and holds it.
func (m *Mirror) fromCache(ctx context.Context, obj client.Object) bool {
	if m.informers == nil || !namedcache.Synced(ctx, m.informers, obj) {
		return false
	}
	return m.cached.Get(ctx, client.ObjectKeyFromObject(obj), obj) == nil
}

// check reads both sources (past the cache when live, while the cache is
// not trusted, or when a deletion awaits its confirming read), brings their
// mirrors in step as decideMirror says, and updates the connection state
// from the reads that reached the pivot. It reports whether a deletion
// awaits confirmation.
func (m *Mirror) check(ctx context.Context, live bool) (pending bool) {
	if m.runCtx != nil {
		for _, name := range m.names { // a no-op once each watch is registered
			m.watch(&hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name}})
		}
	}
	live = live || !m.cacheTrusted() || m.liveWanted.Load()
	for _, name := range m.names {
		_, confirming := m.goneAt[name]
		obs, direct := m.read(ctx, name, live || confirming)
		var asg *rollout.AssignmentRead
		if name == hotplugv1.CommonName && obs.Source == SourcePresent && rollout.Progressive(obs.Object) {
			a := m.readAssignment(ctx, live)
			asg = &a
		}
		if ctx.Err() != nil {
			return false // shutting down: a cancelled read says nothing
		}
		if direct {
			m.mu.Lock()
			m.latest[name] = obs
			m.mu.Unlock()
		}
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
func (m *Mirror) step(ctx context.Context, obs Observation, asg *rollout.AssignmentRead) bool {
	cur := &hotplugv1.Hotplug{}
	err := m.local.Get(ctx, client.ObjectKey{Name: obs.Name}, cur)
	if apierrors.IsNotFound(err) {
		cur = nil
	} else if err != nil {
		m.log.Error(err, "reading the mirror; leaving it for the next round", "hotplug", obs.Name)
		return false
	}
	mirrored := cur != nil && cur.Labels[hotplugv1.MirrorLabel] == "true"
	held := mirrored && cur.Annotations[AnnotationKindVanished] == "true"
	before := m.goneAt[obs.Name]
	var why string
	d := guardKind(decideMirror(obs, mirrored, before, m.now(), m.confirm), obs, mirrored, held, func() kube.KindState {
		if m.kind == nil {
			return kube.KindServed
		}
		var st kube.KindState
		st, why = m.kind(ctx)
		return st
	})
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
	case Hold:
		m.hold(ctx, cur, why)
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
	labels[hotplugv1.MirrorLabel] = "true"
	ann := maps.Clone(src.Annotations)
	if ann == nil {
		ann = map[string]string{}
	}
	delete(ann, hotplugv1.StatusByAnnotation)
	delete(ann, AnnotationKindVanished)
	delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
	ann[hotplugv1.SourceGenerationAnnotation] = fmt.Sprint(src.Generation)
	return &hotplugv1.Hotplug{
		ObjectMeta: metav1.ObjectMeta{Name: src.Name, Labels: labels, Annotations: ann},
		Spec:       *src.Spec.DeepCopy(),
	}
}

// upsert makes cur (nil when there is no local object) the mirror want.
func (m *Mirror) upsert(ctx context.Context, want, cur *hotplugv1.Hotplug) error {
	gen := want.Annotations[hotplugv1.SourceGenerationAnnotation]
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

// hold marks the mirror cur held (AnnotationKindVanished): its source
// vanished with the Hotplug kind on the pivot, why says how.
func (m *Mirror) hold(ctx context.Context, cur *hotplugv1.Hotplug, why string) {
	if cur.Annotations == nil {
		cur.Annotations = map[string]string{}
	}
	cur.Annotations[AnnotationKindVanished] = "true"
	if err := m.local.Update(ctx, cur); err != nil {
		m.log.Error(err, "marking the mirror held", "hotplug", cur.Name)
		return
	}
	m.log.Info("the pivot no longer serves Hotplugs (their CRD was deleted); the mirror is kept and its source's absence is not taken as a deletion until the source is seen again",
		"hotplug", cur.Name, "detail", why)
	m.onChange()
}
