package hub

import (
	"bytes"
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// revisions keeps the ControllerRevisions of `common` in the hub's
// namespace (history and one assignment per cluster) as rollout.Decide
// says. It reads them live (not from a cache) so that a decision never
// builds on an assignment it wrote a moment ago and does not see yet.
type revisions struct {
	c    client.Client // writes
	live client.Reader // reads of the revisions
	ns   string
}

// revisionSet is the revisions of common found in the namespace.
type revisionSet struct {
	history     map[int64]*appsv1.ControllerRevision
	assignments map[string]*appsv1.ControllerRevision // by object name
}

func (r *revisions) list(ctx context.Context) (revisionSet, error) {
	list := &appsv1.ControllerRevisionList{}
	if err := r.live.List(ctx, list, client.InNamespace(r.ns), client.HasLabels{rollout.RoleLabel}); err != nil {
		return revisionSet{}, fmt.Errorf("listing ControllerRevisions of common in %s: %w", r.ns, err)
	}
	set := revisionSet{history: map[int64]*appsv1.ControllerRevision{}, assignments: map[string]*appsv1.ControllerRevision{}}
	for i := range list.Items {
		cr := &list.Items[i]
		switch cr.Labels[rollout.RoleLabel] {
		case rollout.RoleHistory:
			set.history[cr.Revision] = cr
		case rollout.RoleAssignment:
			set.assignments[cr.Name] = cr
		}
	}
	return set, nil
}

// step decides the rollout of common and writes the revisions the decision
// needs: the target's history, every cluster's assignment, then deletes
// the assignments of clusters that are gone and history past its keep.
// common must be fresh (read from the API server).
func (r *revisions) step(ctx context.Context, common *hotplugv1.Hotplug, clusters []clusterv1.Cluster, now time.Time) (rollout.Decision, error) {
	in := rollout.Input{Spec: common.Spec, Generation: common.Generation, Annotations: common.Annotations,
		Prev: common.Status.Rollout, Now: now}
	if !rollout.Progressive(common) {
		return rollout.Decide(in), nil
	}
	set, err := r.list(ctx)
	if err != nil {
		return rollout.Decision{}, err
	}
	if prev := common.Status.Rollout; prev != nil {
		if h := set.history[prev.Revision]; h != nil {
			rev, err := rollout.Decode(h)
			if err != nil {
				return rollout.Decision{}, err
			}
			in.CompleteDigest = rollout.ContentDigest(rev.Spec)
		}
	}
	in.Assignments = map[string]rollout.Assigned{}
	for i := range clusters {
		c := &clusters[i]
		in.Clusters = append(in.Clusters, clusterInput(c))
		if cr := set.assignments[rollout.AssignmentName(c.Name)]; cr != nil {
			rev, err := rollout.Decode(cr)
			if err != nil {
				return rollout.Decision{}, err
			}
			in.Assignments[c.Name] = rollout.Assigned{Revision: rev.Number, Digest: rollout.ContentDigest(rev.Spec)}
		}
	}
	dec := rollout.Decide(in)
	if err := r.write(ctx, common, set, dec); err != nil {
		return rollout.Decision{}, err
	}
	return dec, nil
}

func clusterInput(c *clusterv1.Cluster) rollout.Cluster {
	in := rollout.Cluster{Name: c.Name, Labels: c.Labels, Revision: c.Status.CommonRevision,
		Abnormal: c.Status.State == clusterv1.ClusterAbnormal, AbnormalReason: c.Status.Reason}
	if cond := meta.FindStatusCondition(c.Status.Conditions, hotplugv1.ConditionReady); cond != nil {
		in.Ready = cond.DeepCopy()
	}
	for _, cs := range c.Status.Components {
		if len(in.NotReady) == maxNotReady {
			break
		}
		if !meta.IsStatusConditionTrue(cs.Conditions, hotplugv1.ConditionReady) {
			in.NotReady = append(in.NotReady, limits.Message(cs.Name+": "+cs.Message, limits.MaxMessageBytes/maxNotReady))
		}
	}
	return in
}

// maxNotReady is how many components not Ready a failure reason names.
const maxNotReady = 3

func (r *revisions) write(ctx context.Context, common *hotplugv1.Hotplug, set revisionSet, dec rollout.Decision) error {
	target := rollout.Revision{Number: common.Generation, Spec: common.Spec}
	if set.history[target.Number] == nil {
		cr, err := rollout.Encode(r.ns, rollout.HistoryName(target.Number), rollout.RoleHistory, "", target)
		if err != nil {
			return err
		}
		if err := r.c.Create(ctx, cr); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating ControllerRevision %s/%s: %w", r.ns, cr.Name, err)
		}
		set.history[target.Number] = cr
	}
	wanted := map[string]bool{}
	for cluster, number := range dec.Assign {
		name := rollout.AssignmentName(cluster)
		wanted[name] = true
		rev := target
		if number != target.Number {
			h := set.history[number]
			if h == nil {
				return fmt.Errorf("assigning revision %d of common to cluster %s: ControllerRevision %s/%s is missing",
					number, cluster, r.ns, rollout.HistoryName(number))
			}
			var err error
			if rev, err = rollout.Decode(h); err != nil {
				return err
			}
		}
		if err := r.assign(ctx, set.assignments[name], name, cluster, rev); err != nil {
			return err
		}
	}
	for name, cr := range set.assignments {
		if !wanted[name] {
			if err := r.delete(ctx, cr); err != nil {
				return err
			}
		}
	}
	var numbers []int64
	for n := range set.history {
		numbers = append(numbers, n)
	}
	for _, n := range rollout.Prune(numbers, dec.Status.Revision, target.Number) {
		if err := r.delete(ctx, set.history[n]); err != nil {
			return err
		}
	}
	return nil
}

// assign makes the assignment called name hold rev, writing only when it
// does not. A ControllerRevision's data is immutable, so a change is a
// delete (of exactly the object read) and a create.
func (r *revisions) assign(ctx context.Context, cur *appsv1.ControllerRevision, name, cluster string, rev rollout.Revision) error {
	want, err := rollout.Encode(r.ns, name, rollout.RoleAssignment, cluster, rev)
	if err != nil {
		return err
	}
	if cur != nil && cur.Revision == want.Revision && bytes.Equal(cur.Data.Raw, want.Data.Raw) {
		return nil
	}
	if cur != nil {
		if err := r.delete(ctx, cur); err != nil {
			return err
		}
	}
	if err := r.c.Create(ctx, want); err != nil {
		return fmt.Errorf("assigning revision %d of common to cluster %s: creating ControllerRevision %s/%s: %w",
			rev.Number, cluster, r.ns, name, err)
	}
	return nil
}

func (r *revisions) delete(ctx context.Context, cr *appsv1.ControllerRevision) error {
	err := r.c.Delete(ctx, cr, client.Preconditions{UID: &cr.UID, ResourceVersion: &cr.ResourceVersion})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting ControllerRevision %s/%s: %w", cr.Namespace, cr.Name, err)
	}
	return nil
}

// applyRollout sets the decision's rollout status and RolloutComplete
// condition on st (removing both when common does not roll out
// progressively).
func applyRollout(st *hotplugv1.HotplugStatus, dec rollout.Decision) {
	st.Rollout = dec.Status
	if dec.Condition == nil {
		meta.RemoveStatusCondition(&st.Conditions, hotplugv1.ConditionRolloutComplete)
		return
	}
	meta.SetStatusCondition(&st.Conditions, *dec.Condition)
}
