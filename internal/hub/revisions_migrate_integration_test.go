package hub_test

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestOlderRevisionsMigrated: history and assignments written by a hub from
// before revisions moved to Secrets (full copies in ControllerRevisions)
// are rewritten by the next hub: the history into a revision Secret, the
// assignment into one naming it, at the same revision.
func TestOlderRevisionsMigrated(t *testing.T) {
	cfg, c, ctx := startPivot(t)
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	for _, name := range []string{"pivot-cluster", "member-1"} {
		cl := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ClusterSpec{IsMemberCluster: name != "pivot-cluster"}}
		if err := c.Create(ctx, cl); err != nil {
			t.Fatal(err)
		}
	}
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{
		Component: []hotplugv1.ComponentSpec{{Name: "mon", Status: hotplugv1.StatusEnabled, Env: bigEnv(1 << 10)}},
		Rollout:   &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive},
	}}
	if err := c.Create(ctx, common); err != nil {
		t.Fatal(err)
	}
	rev := rollout.Revision{Number: common.Generation, Spec: common.Spec}
	history, err := rollout.Encode(ns, rollout.HistoryName(rev.Number), rollout.RoleHistory, "", rev)
	if err != nil {
		t.Fatal(err)
	}
	older, err := rollout.Encode(ns, rollout.AssignmentName("member-1"), rollout.RoleAssignment, "member-1", rev)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []client.Object{history, older} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	testenv.StoppableHub(t, cfg, hubOptions(t))
	testenv.Eventually(t, time.Minute, "older revisions migrated", func() (bool, string) {
		list := &appsv1.ControllerRevisionList{}
		if err := c.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{rollout.RoleLabel: rollout.RoleHistory}); err != nil || len(list.Items) > 0 {
			return false, "history ControllerRevisions left"
		}
		cr := &appsv1.ControllerRevision{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(older), cr); err != nil {
			return false, err.Error()
		}
		a, err := rollout.DecodeAssignment(cr)
		if err != nil || a.Ref == nil {
			return false, "assignment of member-1 not rewritten"
		}
		if a.Ref.Number != rev.Number || cr.UID == older.UID {
			t.Fatalf("member-1 assigned %+v (uid %s, older %s)", a.Ref, cr.UID, older.UID)
		}
		return true, ""
	})
	got, err := rollout.ReadHistory(ctx, c, ns, rev.Number)
	if err != nil || got.Spec.Component[0].Env != rev.Spec.Component[0].Env {
		t.Fatalf("revision %d after migration: %v", rev.Number, err)
	}
}
