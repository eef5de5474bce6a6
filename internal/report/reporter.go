// Package report sends a cluster's result to the pivot: the status of its
// Cluster object (and, in a member, of its own Hotplug there) written only
// when the report changed, and its heartbeat Lease renewed every interval.
// The agent feeds it every status it computes; the fleet benchmark drives
// it with statuses it makes up.
package report

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/rollout"
	"github.com/kubecube-io/hotplug/internal/statuspatch"
)

// DefaultInterval is the heartbeat interval when Options leave it unset.
const DefaultInterval = 30 * time.Second

// Options configure a Reporter.
type Options struct {
	// Cluster is the reporting cluster's name. Required.
	Cluster string
	// Pivot is a client of the pivot (the member's identity there); on the
	// pivot itself, a client of this cluster.
	Pivot client.Client
	// Member also reports into the cluster's own Hotplug on the pivot, and
	// leaves creating its heartbeat Lease to the hub.
	Member bool
	// Interval is the heartbeat interval; default DefaultInterval.
	Interval time.Duration
	// PivotNamespace holds the heartbeat Leases; default
	// heartbeat.DefaultNamespace.
	PivotNamespace string
	// Log receives the reporter's messages.
	Log logr.Logger
}

// Reporter sends the cluster's result to the pivot: the status of the
// cluster's Cluster object (state, phase, components) and, in a member, of
// the cluster's own Hotplug on the pivot, only when the report changed.
// Liveness goes into the cluster's heartbeat Lease (see loop.go); the
// Cluster's lastHeartbeat is set when a report is written, and on every
// interval only when the Lease cannot be used. It runs on its own loop so
// an unreachable pivot never slows reconciling.
type Reporter struct {
	cluster  string
	target   client.Client // the pivot; this cluster when it is the pivot
	member   bool
	interval time.Duration
	log      logr.Logger

	mu      sync.Mutex
	status  *hotplugv1.HotplugStatus
	srcGen  int64
	pending chan struct{}

	// commonRev is the revision of `common` that status was computed
	// from: the two always travel together (under mu), so Ready never
	// describes a revision whose components were not reconciled.
	commonRev int64
	// beat renews the heartbeat Lease; nil writes lastHeartbeat instead.
	beat *heartbeat.Renewer
	// leaseless is set while the Lease is unavailable (logged once).
	leaseless bool
}

// New returns a Reporter that renews the heartbeat Lease of o.Cluster in
// o.PivotNamespace; Start runs it.
func New(o Options) *Reporter {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.PivotNamespace == "" {
		o.PivotNamespace = heartbeat.DefaultNamespace
	}
	r := newReporter(o.Cluster, o.Pivot, o.Member, o.Interval, o.Log)
	r.beat = heartbeat.NewRenewer(o.Pivot, o.PivotNamespace, o.Cluster, o.Interval)
	r.beat.CreateMissing = !o.Member // the hub creates members' Leases
	return r
}

// newReporter returns a Reporter without a heartbeat Lease (lastHeartbeat
// carries the heartbeat), as tests of the report alone need it.
func newReporter(cluster string, target client.Client, member bool, interval time.Duration, log logr.Logger) *Reporter {
	return &Reporter{cluster: cluster, target: target, member: member, interval: interval,
		log: log.WithName("report"), pending: make(chan struct{}, 1)}
}

// Update records the latest computed status, fitted to the CRDs' limits
// (the caller's st is not changed), and wakes the loop when it or the
// revision changed; common and own are what it was computed from (either
// may be nil): common names the revision of `common` (rollout.RevisionOf),
// own's annotation the pivot generation it copies. Safe for concurrent use.
func (r *Reporter) Update(st hotplugv1.HotplugStatus, common, own *hotplugv1.Hotplug) {
	r.mu.Lock()
	rev := rollout.RevisionOf(common, r.member)
	// What the pivot's CRDs admit: a status that does not fit would be
	// refused, and the cluster would never report again.
	fitted := st.DeepCopy()
	limits.FitStatus(fitted, nil)
	changed := r.status == nil || !equality.Semantic.DeepEqual(*r.status, *fitted) || rev != r.commonRev
	r.status, r.commonRev = fitted, rev
	r.srcGen = 0
	if own != nil {
		r.srcGen, _ = strconv.ParseInt(own.Annotations[hotplugv1.SourceGenerationAnnotation], 10, 64)
	}
	r.mu.Unlock()
	if changed {
		select {
		case r.pending <- struct{}{}:
		default:
		}
	}
}

// Start renews the heartbeat every interval and pushes the report when it
// changed, until ctx ends (see loop); it always returns nil.
func (r *Reporter) Start(ctx context.Context) error {
	r.loop(ctx)
	return nil
}

// push writes the report where it differs from the pivot's copy; bump
// also bumps lastHeartbeat (the fallback when the Lease is unavailable).
func (r *Reporter) push(ctx context.Context, bump bool) error {
	r.mu.Lock()
	if r.status == nil {
		r.mu.Unlock()
		return nil
	}
	st, srcGen, commonRev := r.status.DeepCopy(), r.srcGen, r.commonRev
	r.mu.Unlock()
	now := metav1.Now()
	_, err := statuspatch.Patch(ctx, r.target, r.target, client.ObjectKey{Name: r.cluster}, newCluster, func(c *clusterv1.Cluster) (bool, error) {
		before := c.Status.DeepCopy()
		c.Status.State, c.Status.Reason = clusterv1.ClusterNormal, ""
		c.Status.HotplugPhase = st.Phase
		c.Status.CommonRevision = commonRev
		c.Status.AgentVersion = Version()
		c.Status.Components = st.Components
		clusterConditions(&c.Status.Conditions, st.Conditions, c.Generation)
		if !bump && sameReport(*before, c.Status) {
			return false, nil
		}
		c.Status.LastHeartbeat = &now
		return true, nil
	})
	// NotFound: not registered on the pivot, nothing to report into.
	if err = client.IgnoreNotFound(err); err != nil {
		return fmt.Errorf("reporting into Cluster %s: %w", r.cluster, err)
	}
	if !r.member {
		return nil // the agent wrote its own Hotplug's status directly
	}
	_, err = statuspatch.Patch(ctx, r.target, r.target, client.ObjectKey{Name: r.cluster}, newHotplug, func(hp *hotplugv1.Hotplug) (bool, error) {
		want := st.DeepCopy()
		want.ObservedGeneration = srcGen
		stampGeneration(want, srcGen)
		if sameJSON(*want, hp.Status) {
			return false, nil
		}
		hp.Status = *want
		return true, nil
	})
	if err = client.IgnoreNotFound(err); err != nil {
		return fmt.Errorf("reporting into Hotplug %s on the pivot: %w", r.cluster, err)
	}
	return nil
}

// newCluster is the empty Cluster that statuspatch reads into.
func newCluster() *clusterv1.Cluster { return &clusterv1.Cluster{} }

// newHotplug is the empty Hotplug that statuspatch reads into.
func newHotplug() *hotplugv1.Hotplug { return &hotplugv1.Hotplug{} }

// clusterConditions copies kstatus' Ready, Reconciling and Stalled from the
// cluster's computed status into a Cluster's conditions, stamped with the
// Cluster's generation; a condition whose status did not change keeps its
// transition time.
func clusterConditions(conds *[]metav1.Condition, from []metav1.Condition, generation int64) {
	for _, typ := range []string{hotplugv1.ConditionReady, hotplugv1.ConditionReconciling, hotplugv1.ConditionStalled} {
		c := meta.FindStatusCondition(from, typ)
		if c == nil {
			continue
		}
		cc := *c
		cc.ObservedGeneration = generation
		meta.SetStatusCondition(conds, cc)
	}
}

// stampGeneration sets the observedGeneration of every condition of st
// (the object's and each component's) to generation: the member computes
// them against its mirror, whose generation differs from the pivot's.
func stampGeneration(st *hotplugv1.HotplugStatus, generation int64) {
	for i := range st.Conditions {
		st.Conditions[i].ObservedGeneration = generation
	}
	for i := range st.Components {
		for j := range st.Components[i].Conditions {
			st.Components[i].Conditions[j].ObservedGeneration = generation
		}
	}
}
