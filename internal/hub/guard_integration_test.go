package hub_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

func disabled(name string) hotplugv1.ComponentSpec {
	return hotplugv1.ComponentSpec{Name: name, Status: hotplugv1.StatusDisabled}
}

// wantRefused fails unless err is the webhook's refusal containing every
// part.
func wantRefused(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: admitted, want a refusal", what)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: refusal %q lacks %q", what, err, p)
		}
	}
}

// replaceHotplug writes name's spec and annotations whole, as `kubectl
// replace` does (retried on conflict: the hub annotates common).
func replaceHotplug(ctx context.Context, c client.Client, name string, ann map[string]string, comps ...hotplugv1.ComponentSpec) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := &hotplugv1.Hotplug{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, cur); err != nil {
			return err
		}
		keep := map[string]string{}
		if v, ok := cur.Annotations["hotplug.kubecube.io/status-by"]; ok {
			keep["hotplug.kubecube.io/status-by"] = v
		}
		for k, v := range ann {
			keep[k] = v
		}
		cur.Annotations = keep
		cur.Spec.Component = comps
		return c.Update(ctx, cur)
	})
}

// TestWebhookGuardsUpdates runs the hub's webhook against a real API
// server: updates of a mirrored `common` or cluster Hotplug that drop or
// rename an enabled component (a JSON patch removing spec.component, a
// whole replace, a rename) are refused with the components listed, and
// admitted with the confirm-uninstall annotation; disabling first, then
// removing, needs no confirmation. A Cluster whose Hotplug enables
// components `common` does not cannot be deleted without confirmation.
func TestWebhookGuardsUpdates(t *testing.T) {
	cfg, c, ctx := startPivot(t)
	testenv.StoppableHub(t, cfg, hubOptions(t))
	sync := map[string]string{hotplugv1.SyncAnnotation: "true"}
	confirmed := map[string]string{hotplugv1.SyncAnnotation: "true", hotplugv1.ConfirmUninstallAnnotation: "true"}
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName, Annotations: sync}, Spec: hotplugv1.HotplugSpec{
		Component: []hotplugv1.ComponentSpec{enabled("a"), enabled("b"), disabled("audit")}}}
	if err := c.Create(ctx, common); err != nil {
		t.Fatal(err)
	}
	jsonPatch := func(name, patch string) error {
		hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name}}
		return c.Patch(ctx, hp, client.RawPatch(types.JSONPatchType, []byte(patch)))
	}

	t.Run("common", func(t *testing.T) {
		wantRefused(t, "JSON patch remove /spec/component", jsonPatch("common", `[{"op":"remove","path":"/spec/component"}]`),
			`hotplug "common"`, "every cluster", ": a, b;", hotplugv1.ConfirmUninstallAnnotation)
		wantRefused(t, "replace without b", replaceHotplug(ctx, c, "common", sync, enabled("a"), disabled("audit")), ": b;")
		wantRefused(t, "rename b to b2", replaceHotplug(ctx, c, "common", sync, enabled("a"), enabled("b2"), disabled("audit")), "renaming", ": b;")
		cur, err := rollout.GetCommon(ctx, c)
		if err != nil || len(enabledNames(cur)) != 2 {
			t.Fatalf("common after refusals: %v %v", enabledNames(cur), err)
		}
		// The documented way: disable, then remove.
		if err := replaceHotplug(ctx, c, "common", sync, enabled("a"), disabled("b"), disabled("audit")); err != nil {
			t.Fatalf("disabling b: %v", err)
		}
		if err := replaceHotplug(ctx, c, "common", sync, enabled("a")); err != nil {
			t.Fatalf("removing disabled b and audit: %v", err)
		}
		// Confirmed: a rename, then a JSON patch removing everything.
		if err := replaceHotplug(ctx, c, "common", confirmed, enabled("a2")); err != nil {
			t.Fatalf("confirmed rename: %v", err)
		}
		if err := replaceHotplug(ctx, c, "common", sync, enabled("a2"), enabled("b")); err != nil {
			t.Fatal(err)
		}
		err = jsonPatch("common", `[{"op":"add","path":"/metadata/annotations/hotplug.kubecube.io~1confirm-uninstall","value":"true"},{"op":"remove","path":"/spec/component"}]`)
		if err != nil {
			t.Fatalf("confirmed JSON patch removing every component: %v", err)
		}
		if err := replaceHotplug(ctx, c, "common", sync, enabled("a")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("cluster Hotplug and Cluster deletion", func(t *testing.T) {
		for _, name := range []string{"member-1", "member-2"} {
			if err := c.Create(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}); err != nil {
				t.Fatal(err)
			}
			own := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: sync},
				Spec: hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{enabled("a"), enabled("thanos")}}}
			if err := c.Create(ctx, own); err != nil {
				t.Fatal(err)
			}
		}
		wantRefused(t, "dropping thanos from member-1", replaceHotplug(ctx, c, "member-1", sync, enabled("a")),
			`hotplug "member-1"`, `cluster "member-1"`, ": thanos;")
		// a stays installed through common: dropping it is no uninstall.
		if err := replaceHotplug(ctx, c, "member-1", sync, enabled("thanos")); err != nil {
			t.Errorf("dropping a, which common enables: %v", err)
		}

		cl := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "member-1"}}
		wantRefused(t, "deleting Cluster member-1", c.Delete(ctx, cl),
			`cluster "member-1"`, `Hotplug "member-1"`, ": thanos;", hotplugv1.ConfirmUninstallAnnotation)
		if err := c.Get(ctx, client.ObjectKey{Name: "member-1"}, &clusterv1.Cluster{}); err != nil {
			t.Fatalf("Cluster member-1 after a refused deletion: %v", err)
		}
		if err := replaceHotplug(ctx, c, "member-1", sync, disabled("thanos")); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, cl); err != nil {
			t.Errorf("deleting Cluster member-1 whose Hotplug enables nothing of its own: %v", err)
		}

		// Confirmed on the Cluster.
		cl2 := &clusterv1.Cluster{}
		if err := c.Get(ctx, client.ObjectKey{Name: "member-2"}, cl2); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, "deleting Cluster member-2", c.Delete(ctx, cl2), ": thanos;")
		cl2.Annotations = map[string]string{hotplugv1.ConfirmUninstallAnnotation: "true"}
		if err := c.Update(ctx, cl2); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, cl2); err != nil {
			t.Errorf("confirmed deletion of Cluster member-2: %v", err)
		}
	})
}

func enabledNames(hp *hotplugv1.Hotplug) []string {
	var out []string
	if hp == nil {
		return nil
	}
	for _, c := range hp.Spec.Component {
		if c.Status == hotplugv1.StatusEnabled {
			out = append(out, c.Name)
		}
	}
	return out
}

// TestRolloutPausedOnFailure: while the rollout of `common` is paused on a
// revision that failed in the canary, switching to strategy All is
// refused naming the failed cluster (admitted with confirmation), and
// `hotplug rollout resume` gives the failed canary a new deadline counted
// by the hub's clock, whatever the client's.
func TestRolloutPausedOnFailure(t *testing.T) {
	cfg, c, ctx := startPivot(t)
	e := &rolloutEnv{t: t, c: c, members: map[string]*member{}, ctx: ctx}
	testenv.StoppableHub(t, cfg, hubOptions(t))
	for _, name := range []string{"member-1", "member-2"} {
		e.addCluster(name, name == "member-1")
	}
	common := canaryCommon(minHealthy, deadline)
	if err := c.Create(ctx, common); err != nil {
		t.Fatal(err)
	}
	e.waitPhase(hotplugv1.RolloutComplete, 1, time.Minute)
	bad := e.edit("level: bad")
	st := e.waitPhase(hotplugv1.RolloutPaused, bad, deadline+time.Minute)
	if len(st.FailedClusters) != 1 || st.FailedClusters[0].Name != "member-1" {
		t.Fatalf("paused: %+v", st)
	}

	toAll := func(opts ...client.UpdateOption) error {
		cur, err := rollout.GetCommon(ctx, c)
		if err != nil {
			return err
		}
		cur.Spec.Rollout.Strategy = hotplugv1.RolloutAll
		if len(opts) > 0 {
			cur.Annotations[hotplugv1.ConfirmRolloutAllAnnotation] = "true"
		}
		return c.Update(ctx, cur, opts...)
	}
	wantRefused(t, "Progressive to All while paused", toAll(), "spec.rollout.strategy", "member-1", hotplugv1.ConfirmRolloutAllAnnotation)
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error { return toAll(client.DryRunAll) }); err != nil {
		t.Errorf("confirmed switch to All (dry run): %v", err)
	}

	// Resume with a marker, as the CLI writes it: no clock in it.
	resumed := time.Now()
	if err := rollout.Resume(ctx, c); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "member-1 progressing again", func() (bool, string) {
		st := e.status()
		for _, cr := range st.Clusters {
			if cr.Name == "member-1" && cr.State == hotplugv1.ClusterRolloutProgressing {
				return st.ResumedAt != nil && !cr.Since.Time.Before(resumed.Truncate(time.Second)), st.Message
			}
		}
		return false, st.Message
	})
}
