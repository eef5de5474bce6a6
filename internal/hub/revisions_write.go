package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/access"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// assigned is what the decision needs of an assignment: from its
// annotations, or, for one of the older format (the full spec in its
// data), from one live read of it, which the hub then rewrites.
func (r *revisions) assigned(ctx context.Context, m *metav1.PartialObjectMetadata) (rollout.Assigned, error) {
	if ref, ok := rollout.RefOf(m.Annotations); ok {
		return rollout.Assigned{Revision: ref.Number, Digest: ref.ContentDigest}, nil
	}
	cr := &appsv1.ControllerRevision{}
	if err := r.live.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Name}, cr); err != nil {
		return rollout.Assigned{}, fmt.Errorf("reading ControllerRevision %s/%s: %w", m.Namespace, m.Name, err)
	}
	a, err := rollout.DecodeAssignment(cr)
	switch {
	case err != nil:
		return rollout.Assigned{}, err
	case a.Ref != nil:
		return rollout.Assigned{Revision: a.Ref.Number, Digest: a.Ref.ContentDigest}, nil
	}
	return rollout.Assigned{Revision: a.Legacy.Number, Digest: rollout.ContentDigest(a.Legacy.Spec)}, nil
}

// migrateHistory moves every history ControllerRevision of the older
// format into a revision Secret (unless one exists), then deletes it: its
// content is readable by any namespace viewer.
func (r *revisions) migrateHistory(ctx context.Context, set revisionSet) error {
	for n, m := range set.legacyHistory {
		if _, ok := set.history[n]; !ok {
			cr := &appsv1.ControllerRevision{}
			if err := r.live.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Name}, cr); err != nil {
				return fmt.Errorf("reading ControllerRevision %s/%s: %w", m.Namespace, m.Name, err)
			}
			rev, err := rollout.Decode(cr)
			if err != nil {
				return err
			}
			rev.Number = n
			if set.history[n], err = r.keep(ctx, rev); err != nil {
				return err
			}
		}
		if err := r.delete(ctx, &appsv1.ControllerRevision{}, m); err != nil {
			return err
		}
	}
	return nil
}

// assign makes cluster's assignment (cur: its metadata, nil when absent)
// name ref, writing only when it does not: to a newer revision, a patch of
// its annotations and revision (its data, which is immutable, is the same
// for every assignment), locked to the version read; to an older one, or
// from the older format, a delete and create.
func (r *revisions) assign(ctx context.Context, cur *metav1.PartialObjectMetadata, cluster string, ref rollout.Ref) error {
	want := rollout.EncodeAssignment(r.ns, cluster, ref)
	if cur != nil {
		got, ok := rollout.RefOf(cur.Annotations)
		if ok && got == ref {
			return nil
		}
		// Forward only: a member trusts a cached assignment whose revision
		// is at least the one it last read of the same object (UID), so a
		// move back is a new object.
		if ok && ref.Number > got.Number {
			patch, err := json.Marshal(map[string]any{
				"metadata": map[string]any{"resourceVersion": cur.ResourceVersion, "annotations": want.Annotations},
				"revision": ref.Number})
			if err != nil {
				return err
			}
			obj := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Namespace: r.ns, Name: cur.Name}}
			if err := r.c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch)); err != nil {
				return fmt.Errorf("assigning revision %d of common to cluster %s: patching ControllerRevision %s/%s: %w",
					ref.Number, cluster, r.ns, cur.Name, err)
			}
			return nil
		}
		if err := r.delete(ctx, &appsv1.ControllerRevision{}, cur); err != nil {
			return err
		}
	}
	if err := r.c.Create(ctx, want); err != nil {
		return fmt.Errorf("assigning revision %d of common to cluster %s: creating ControllerRevision %s/%s: %w",
			ref.Number, cluster, r.ns, want.Name, err)
	}
	return nil
}

// grant keeps the Role rollout.ReaderRole granting exactly the Secrets of
// history, writing only on change (and deleting it when there is none).
func (r *revisions) grant(ctx context.Context, history map[int64]rollout.Ref) error {
	names := make([]string, 0, len(history))
	for _, ref := range history {
		names = append(names, ref.Secret)
	}
	slices.Sort(names)
	if r.readers != nil && slices.Equal(names, r.readers) {
		return nil
	}
	want := access.RevisionReaders(r.ns, names)
	key := client.ObjectKey{Namespace: r.ns, Name: rollout.ReaderRole}
	cur := &rbacv1.Role{}
	err := r.live.Get(ctx, key, cur)
	switch {
	case kerrors.IsNotFound(err) && want == nil:
	case kerrors.IsNotFound(err):
		err = r.c.Create(ctx, want)
	case err != nil:
	case want == nil:
		err = client.IgnoreNotFound(r.c.Delete(ctx, cur, client.Preconditions{UID: &cur.UID, ResourceVersion: &cur.ResourceVersion}))
	case !equality.Semantic.DeepEqual(cur.Rules, want.Rules):
		cur.Rules = want.Rules
		err = r.c.Update(ctx, cur)
	}
	if err != nil {
		return fmt.Errorf("granting members the revisions of common: Role %s: %w", key, err)
	}
	r.readers = names
	return nil
}
