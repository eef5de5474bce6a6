package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// assign writes (creates or replaces) cluster's assignment of revision rev
// with spec into the pivot's release namespace, as the hub would.
func assign(t *testing.T, pivot client.Client, cluster string, rev int64, spec hotplugv1.HotplugSpec) {
	t.Helper()
	put(t, pivot, rollout.AssignmentName(cluster), rollout.RoleAssignment, cluster, rev, spec)
}

func put(t *testing.T, pivot client.Client, name, role, cluster string, rev int64, spec hotplugv1.HotplugSpec) {
	t.Helper()
	ctx := context.Background()
	want, err := rollout.Encode(releaseNamespace, name, role, cluster, rollout.Revision{Number: rev, Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	cur := &appsv1.ControllerRevision{}
	if err := pivot.Get(ctx, client.ObjectKeyFromObject(want), cur); err == nil {
		// ControllerRevision data is immutable: replace the object.
		if err := pivot.Delete(ctx, cur); err != nil {
			t.Fatal(err)
		}
	}
	if err := pivot.Create(ctx, want); err != nil {
		t.Fatal(err)
	}
}

// logagentValues returns the values the logagent release rendered in the
// cluster of c (the configmap chart echoes them).
func logagentValues(c client.Client) string {
	cm := &corev1.ConfigMap{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "logagent", Name: "logagent"}, cm); err != nil {
		return err.Error()
	}
	return cm.Data["values.yaml"]
}

// commonRevision returns cluster's Cluster.status.commonRevision and Ready.
func commonRevision(t *testing.T, pivot client.Client, cluster string) (int64, bool) {
	t.Helper()
	cl := &clusterv1.Cluster{}
	if err := pivot.Get(context.Background(), client.ObjectKey{Name: cluster}, cl); err != nil {
		t.Fatal(err)
	}
	ready := false
	for _, c := range cl.Status.Conditions {
		if c.Type == hotplugv1.ConditionReady {
			ready = c.Status == "True"
		}
	}
	return cl.Status.CommonRevision, ready
}

// checkProgressiveRuns makes `common` Progressive with an edit (a marker in
// logagent's values) while the cluster's assignment holds the revision
// before it: the cluster keeps running and reporting that revision; once
// the assignment moves to the edit, the cluster runs it and reports it,
// Ready. local reads the cluster itself; mirrorOf, in a member, returns
// the revision its mirror of common copies ("" for the pivot).
func checkProgressiveRuns(t *testing.T, pivot, local client.Client, cluster string, mirrorOf func() string) {
	t.Helper()
	ctx := context.Background()
	const marker = "rolloutMarker: edited"
	common := &hotplugv1.Hotplug{}
	if err := pivot.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, common); err != nil {
		t.Fatal(err)
	}
	before := common.Generation
	assign(t, pivot, cluster, before, common.Spec)
	testenv.Eventually(t, 60*time.Second, cluster+" reports revision "+fmt.Sprint(before), func() (bool, string) {
		rev, ready := commonRevision(t, pivot, cluster)
		return rev == before && ready, fmt.Sprintf("revision %d ready %v", rev, ready)
	})

	common.Spec.Rollout = &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive}
	for i := range common.Spec.Component {
		if common.Spec.Component[i].Name == "logagent" {
			common.Spec.Component[i].Env += marker + "\n"
		}
	}
	if err := pivot.Update(ctx, common); err != nil {
		t.Fatal(err)
	}
	// Several resyncs and probes: the edit does not reach the cluster.
	for end := time.Now().Add(12 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if v := logagentValues(local); strings.Contains(v, marker) {
			t.Fatalf("%s runs common's generation %d without an assignment of it: %s", cluster, common.Generation, v)
		}
		if rev, _ := commonRevision(t, pivot, cluster); rev != before {
			t.Fatalf("%s reports revision %d, was assigned %d", cluster, rev, before)
		}
		if m := mirrorOf(); m != "" && m != fmt.Sprint(before) {
			t.Fatalf("%s mirrors revision %s, was assigned %d", cluster, m, before)
		}
	}

	assign(t, pivot, cluster, common.Generation, common.Spec)
	testenv.Eventually(t, 90*time.Second, cluster+" runs the assigned edit", func() (bool, string) {
		rev, ready := commonRevision(t, pivot, cluster)
		v := logagentValues(local)
		return rev == common.Generation && ready && strings.Contains(v, marker), fmt.Sprintf("revision %d ready %v mirror %q values %q", rev, ready, mirrorOf(), v)
	})
	if m := mirrorOf(); m != "" && m != fmt.Sprint(common.Generation) {
		t.Errorf("%s mirrors revision %s, was assigned %d", cluster, m, common.Generation)
	}
}

// checkMemberReadsOnlyItsAssignment: a member's pivot identity reads its own
// assignment (by GET, and by list and watch selecting its name) and is
// refused another cluster's assignment, the history of common and a list
// of all revisions.
func checkMemberReadsOnlyItsAssignment(t *testing.T, pivotAdmin client.Client, memberCfg *rest.Config, cluster string) {
	t.Helper()
	ctx := context.Background()
	asMember, err := client.NewWithWatch(memberCfg, client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	common := &hotplugv1.Hotplug{}
	if err := pivotAdmin.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, common); err != nil {
		t.Fatal(err)
	}
	assign(t, pivotAdmin, cluster, common.Generation, common.Spec)
	assign(t, pivotAdmin, "member-2", common.Generation, common.Spec)
	put(t, pivotAdmin, rollout.HistoryName(common.Generation), rollout.RoleHistory, "", common.Generation, common.Spec)

	own := client.ObjectKey{Namespace: releaseNamespace, Name: rollout.AssignmentName(cluster)}
	if err := asMember.Get(ctx, own, &appsv1.ControllerRevision{}); err != nil {
		t.Errorf("%s reading its own assignment: %v", cluster, err)
	}
	byName := client.MatchingFields{"metadata.name": own.Name}
	list := &appsv1.ControllerRevisionList{}
	if err := asMember.List(ctx, list, client.InNamespace(releaseNamespace), byName); err != nil || len(list.Items) != 1 {
		t.Errorf("%s listing its own assignment by name: %d items, %v", cluster, len(list.Items), err)
	}
	w, err := asMember.Watch(ctx, &appsv1.ControllerRevisionList{}, client.InNamespace(releaseNamespace), byName)
	if err != nil {
		t.Errorf("%s watching its own assignment by name: %v", cluster, err)
	} else {
		w.Stop()
	}
	refused := map[string]error{
		"another cluster's assignment": asMember.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: rollout.AssignmentName("member-2")}, &appsv1.ControllerRevision{}),
		"the history of common":        asMember.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: rollout.HistoryName(common.Generation)}, &appsv1.ControllerRevision{}),
		"every revision":               asMember.List(ctx, &appsv1.ControllerRevisionList{}, client.InNamespace(releaseNamespace)),
		"another cluster's by list":    asMember.List(ctx, &appsv1.ControllerRevisionList{}, client.InNamespace(releaseNamespace), client.MatchingFields{"metadata.name": rollout.AssignmentName("member-2")}),
	}
	for what, err := range refused {
		if !isForbidden(err) {
			t.Errorf("%s reading %s: %v, want Forbidden", cluster, what, err)
		}
	}
}
