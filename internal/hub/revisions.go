package hub

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// revisions keeps the revisions of `common` in the hub's namespace as
// rollout.Decide says: the content of each in an immutable Secret
// (history), one value-free assignment ControllerRevision per cluster, and
// the Role rollout.ReaderRole granting `get` on exactly the retained
// revision Secrets. It reads them live (not from a cache) so that a
// decision never builds on an assignment it wrote a moment ago and does not
// see yet, and reads metadata only: what a decision needs (revision
// numbers and digests) is in annotations, so a reconcile costs the same
// whatever the size of common's values.
type revisions struct {
	c    client.Client // writes
	live client.Reader // reads of the revisions
	ns   string
	// readers is what the ReaderRole was last written with (nil: not
	// known, read it first).
	readers []string
}

// revisionSet is the revisions of common found in the namespace (metadata
// only).
type revisionSet struct {
	history map[int64]rollout.Ref // by revision, from the revision Secrets
	// secrets are those Secrets, for deletion with preconditions.
	secrets map[int64]*metav1.PartialObjectMetadata
	// legacyHistory are history ControllerRevisions of the older format
	// (content in the data), migrated to Secrets by the next step.
	legacyHistory map[int64]*metav1.PartialObjectMetadata
	assignments   map[string]*metav1.PartialObjectMetadata // by object name
}

var (
	secretListGVK = corev1.SchemeGroupVersion.WithKind("SecretList")
	crListGVK     = appsv1.SchemeGroupVersion.WithKind("ControllerRevisionList")
)

// listPage bounds one page of a metadata list.
const listPage = 500

// listMeta lists the metadata of the objects of list kind gvk in the hub's
// namespace, page by page.
func (r *revisions) listMeta(ctx context.Context, gvk schema.GroupVersionKind, opts ...client.ListOption) ([]metav1.PartialObjectMetadata, error) {
	var out []metav1.PartialObjectMetadata
	cont := ""
	for {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(gvk)
		all := append([]client.ListOption{client.InNamespace(r.ns), client.Limit(listPage), client.Continue(cont)}, opts...)
		if err := r.live.List(ctx, list, all...); err != nil {
			return nil, fmt.Errorf("listing %s of common in %s: %w", strings.TrimSuffix(gvk.Kind, "List")+"s", r.ns, err)
		}
		out = append(out, list.Items...)
		if cont = list.Continue; cont == "" {
			return out, nil
		}
	}
}

func (r *revisions) list(ctx context.Context) (revisionSet, error) {
	set := revisionSet{history: map[int64]rollout.Ref{}, secrets: map[int64]*metav1.PartialObjectMetadata{},
		legacyHistory: map[int64]*metav1.PartialObjectMetadata{}, assignments: map[string]*metav1.PartialObjectMetadata{}}
	secrets, err := r.listMeta(ctx, secretListGVK, client.MatchingLabels{rollout.RoleLabel: rollout.RoleHistory},
		client.MatchingFields{"type": string(rollout.SecretType)})
	if err != nil {
		return revisionSet{}, err
	}
	for i := range secrets {
		s := &secrets[i]
		// One whose annotations do not name its own revision is not the
		// hub's: never granted to members, never deleted.
		if ref, ok := rollout.RefOf(s.Annotations); ok && ref.Secret == s.Name {
			set.history[ref.Number], set.secrets[ref.Number] = ref, s
		}
	}
	crs, err := r.listMeta(ctx, crListGVK, client.HasLabels{rollout.RoleLabel})
	if err != nil {
		return revisionSet{}, err
	}
	for i := range crs {
		cr := &crs[i]
		switch cr.Labels[rollout.RoleLabel] {
		case rollout.RoleHistory:
			if n, ok := rollout.HistoryNumber(cr.Name); ok {
				set.legacyHistory[n] = cr
			}
		case rollout.RoleAssignment:
			set.assignments[cr.Name] = cr
		}
	}
	return set, nil
}

// step decides the rollout of common and writes the revisions the decision
// needs: the target's Secret, the readers' Role, every cluster's
// assignment, then deletes the assignments of clusters that are gone and
// history past its keep. common must be fresh (read from the API server).
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
	if err := r.migrateHistory(ctx, set); err != nil {
		return rollout.Decision{}, err
	}
	if prev := common.Status.Rollout; prev != nil {
		if ref, ok := set.history[prev.Revision]; ok {
			in.CompleteDigest = ref.ContentDigest
		}
	}
	in.Assignments = map[string]rollout.Assigned{}
	for i := range clusters {
		c := &clusters[i]
		in.Clusters = append(in.Clusters, clusterInput(c))
		if m := set.assignments[rollout.AssignmentName(c.Name)]; m != nil {
			got, err := r.assigned(ctx, m)
			if err != nil {
				return rollout.Decision{}, err
			}
			in.Assignments[c.Name] = got
		}
	}
	dec := rollout.Decide(in)
	if err := r.write(ctx, common, set, dec); err != nil {
		r.readers = nil // read the Role again next time
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
	if _, ok := set.history[target.Number]; !ok {
		ref, err := r.keep(ctx, target)
		if err != nil {
			return err
		}
		set.history[target.Number] = ref
	}
	// Members may read a revision before any assignment names it.
	if err := r.grant(ctx, set.history); err != nil {
		return err
	}
	wanted := map[string]bool{}
	var assigned []int64
	for cluster, number := range dec.Assign {
		name := rollout.AssignmentName(cluster)
		wanted[name] = true
		assigned = append(assigned, number)
		ref, ok := set.history[number]
		if !ok {
			return fmt.Errorf("assigning revision %d of common to cluster %s: Secret %s/%s is missing",
				number, cluster, r.ns, rollout.HistoryName(number))
		}
		if err := r.assign(ctx, set.assignments[name], cluster, ref); err != nil {
			return err
		}
	}
	for name, m := range set.assignments {
		if !wanted[name] {
			if err := r.delete(ctx, &appsv1.ControllerRevision{}, m); err != nil {
				return err
			}
		}
	}
	var numbers []int64
	for n := range set.history {
		numbers = append(numbers, n)
	}
	pruned := false
	for _, n := range rollout.Prune(numbers, dec.Status.Revision, target.Number, assigned...) {
		if s := set.secrets[n]; s != nil {
			if err := r.delete(ctx, &corev1.Secret{}, s); err != nil {
				return err
			}
		}
		delete(set.history, n)
		pruned = true
	}
	if pruned {
		return r.grant(ctx, set.history)
	}
	return nil
}

// keep creates the Secret of rev, or finds it made already (by a step that
// failed later); a Secret of that name that does not hold rev is an error
// naming it, left as it is.
func (r *revisions) keep(ctx context.Context, rev rollout.Revision) (rollout.Ref, error) {
	s, ref, err := rollout.EncodeSecret(r.ns, rev)
	if err != nil {
		return rollout.Ref{}, err
	}
	err = r.c.Create(ctx, s)
	if !apierrors.IsAlreadyExists(err) {
		if err != nil {
			return rollout.Ref{}, fmt.Errorf("creating Secret %s/%s (revision %d of common): %w", r.ns, s.Name, rev.Number, err)
		}
		return ref, nil
	}
	cur := &corev1.Secret{}
	if err := r.live.Get(ctx, client.ObjectKeyFromObject(s), cur); err != nil {
		return rollout.Ref{}, fmt.Errorf("reading Secret %s/%s (revision %d of common): %w", r.ns, s.Name, rev.Number, err)
	}
	if _, err := rollout.DecodeSecret(cur, ref); err != nil {
		return rollout.Ref{}, fmt.Errorf("keeping revision %d of common: %w", rev.Number, err)
	}
	return ref, nil
}

// delete deletes exactly the object m describes (obj: an empty object of
// its kind).
func (r *revisions) delete(ctx context.Context, obj client.Object, m *metav1.PartialObjectMetadata) error {
	obj.SetNamespace(m.Namespace)
	obj.SetName(m.Name)
	err := r.c.Delete(ctx, obj, client.Preconditions{UID: &m.UID, ResourceVersion: &m.ResourceVersion})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %T %s/%s: %w", obj, m.Namespace, m.Name, err)
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
