package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// TestRolloutCommands drives `hotplug rollout status|pause|resume|undo`
// against a real API server, with common's status.rollout and history
// written as the hub writes them.
func TestRolloutCommands(t *testing.T) {
	env := controlplane.StartForTest(t, controlplane.ClusterOptions{Name: "pivot-cluster"})
	cl := env.Cluster("pivot-cluster")
	c, err := kube.NewClient(cl.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	kc := []string{"--kubeconfig", cl.Kubeconfig}
	spec := func(env string) hotplugv1.HotplugSpec {
		return hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "mon", Status: hotplugv1.StatusEnabled, Env: env}},
			Rollout: &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive}}
	}
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: spec("level: good")}
	if err := c.Create(ctx, common); err != nil {
		t.Fatal(err)
	}

	// No rollout status: status says so and exits 0; undo refuses.
	out, errOut, code := runCLI(t, append([]string{"rollout", "status"}, kc...)...)
	if code != 0 || !strings.Contains(out, "does not roll out progressively") {
		t.Errorf("status without rollout: exit %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = runCLI(t, append([]string{"rollout", "undo"}, kc...)...)
	if code != 1 || !strings.Contains(errOut, "nothing to undo") || !strings.Contains(errOut, "no completed revision") {
		t.Errorf("undo without rollout: exit %d: %s", code, errOut)
	}

	// The hub's history of generation 1, then a bad generation 2 paused at
	// the canary.
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: rollout.DefaultNamespace}}); err != nil {
		t.Fatal(err)
	}
	h, err := rollout.Encode(rollout.DefaultNamespace, rollout.HistoryName(1), rollout.RoleHistory, "", rollout.Revision{Number: 1, Spec: common.Spec})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, h); err != nil {
		t.Fatal(err)
	}
	common.Spec = spec("level: bad")
	if err := c.Update(ctx, common); err != nil {
		t.Fatal(err)
	}
	since := metav1.NewTime(time.Now().Add(-90 * time.Second).Truncate(time.Second))
	reason := "mon: helm upgrade failed: DaemonSet mon is invalid: spec.template.spec.containers[0].resources.requests (revision 2 not done within 5m0s)"
	common.Status.Rollout = &hotplugv1.RolloutStatus{Revision: 1, TargetRevision: 2, Phase: hotplugv1.RolloutPaused,
		Message: "paused: revision 2 failed in member-1", PendingClusters: []string{"member-2"},
		FailedClusters: []hotplugv1.ClusterFailure{{Name: "member-1", Reason: reason}},
		Clusters: []hotplugv1.ClusterRollout{
			{Name: "member-1", Revision: 2, State: hotplugv1.ClusterRolloutFailed, Since: &since, Reason: reason},
			{Name: "member-2", Revision: 1, State: hotplugv1.ClusterRolloutPending, Since: &since},
		}}
	if err := c.Status().Update(ctx, common); err != nil {
		t.Fatal(err)
	}

	out, errOut, code = runCLI(t, append([]string{"rollout", "status"}, kc...)...)
	if code != 1 {
		t.Errorf("status of a paused rollout with failures: exit %d, want 1: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	want := [][]string{
		{"phase: Paused", "revision: 1", "target: 2", "paused: revision 2 failed in member-1"},
		{"CLUSTER", "REVISION", "STATE", "SINCE", "REASON"},
		{"member-1", "2", "Failed", "1m3", "mon: helm upgrade failed: DaemonSet mon is invalid"},
		{"member-2", "1", "Pending", "1m3", "-"},
	}
	if len(lines) != len(want) {
		t.Fatalf("status has %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, cells := range want {
		for _, cell := range cells {
			if !strings.Contains(lines[i], cell) {
				t.Errorf("line %d lacks %q: %q", i, cell, lines[i])
			}
		}
	}
	if !strings.Contains(errOut, "paused: 1 cluster(s) failed") {
		t.Errorf("stderr: %q", errOut)
	}
	out, _, code = runCLI(t, append([]string{"rollout", "status", "-o", "json"}, kc...)...)
	var got hotplugv1.RolloutStatus
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 || got.TargetRevision != 2 || len(got.FailedClusters) != 1 ||
		got.FailedClusters[0].Reason != reason {
		t.Errorf("json (exit %d, %v): %s", code, err, out)
	}
	out, _, _ = runCLI(t, append([]string{"rollout", "status", "-o", "yaml"}, kc...)...)
	if !strings.Contains(out, "targetRevision: 2\n") || !strings.Contains(out, "phase: Paused\n") {
		t.Errorf("yaml:\n%s", out)
	}

	// Pause sets the annotation once; resume removes it and sets a marker.
	for i, wantOut := range []string{"rollout of common paused", "already paused"} {
		if out, errOut, code := runCLI(t, append([]string{"rollout", "pause"}, kc...)...); code != 0 || !strings.Contains(out, wantOut) {
			t.Errorf("pause #%d: exit %d: %s%s", i+1, code, out, errOut)
		}
	}
	hp := &hotplugv1.Hotplug{}
	if err := c.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil || hp.Annotations[hotplugv1.RolloutPausedAnnotation] != "true" || hp.Generation != 2 {
		t.Errorf("after pause: %v %v (generation %d)", hp.Annotations, err, hp.Generation)
	}
	if out, errOut, code := runCLI(t, append([]string{"rollout", "resume"}, kc...)...); code != 0 || !strings.Contains(out, "resumed") {
		t.Errorf("resume: exit %d: %s%s", code, out, errOut)
	}
	if err := c.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil {
		t.Fatal(err)
	}
	// The marker names common's generation, not this machine's clock.
	if _, paused := hp.Annotations[hotplugv1.RolloutPausedAnnotation]; paused || !strings.HasPrefix(hp.Annotations[hotplugv1.RolloutResumedAtAnnotation], "g2-rv") {
		t.Errorf("after resume: %v", hp.Annotations)
	}

	// Undo writes revision 1's components back as generation 3, keeping
	// the rollout block; a second undo has nothing to do.
	out, errOut, code = runCLI(t, append([]string{"rollout", "undo"}, kc...)...)
	if code != 0 || !strings.Contains(out, "set back to revision 1 (now generation 3)") {
		t.Errorf("undo: exit %d: %s%s", code, out, errOut)
	}
	if err := c.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp); err != nil {
		t.Fatal(err)
	}
	if hp.Generation != 3 || hp.Spec.Component[0].Env != "level: good" || hp.Spec.Rollout == nil || hp.Spec.Rollout.Strategy != hotplugv1.RolloutProgressive {
		t.Errorf("after undo: generation %d spec %+v", hp.Generation, hp.Spec)
	}
	_, errOut, code = runCLI(t, append([]string{"rollout", "undo"}, kc...)...)
	if code != 1 || !strings.Contains(errOut, "already holds the content of revision 1") {
		t.Errorf("second undo: exit %d: %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, append([]string{"rollout", "undo", "--namespace", "elsewhere"}, kc...)...); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("undo with the wrong namespace: exit %d: %s", code, errOut)
	}
	if _, _, code := runCLI(t, "rollout", "status", "-o", "wide", "--kubeconfig", cl.Kubeconfig); code != 2 {
		t.Errorf("-o wide: exit %d, want 2", code)
	}
	if _, _, code := runCLI(t, "rollout"); code != 2 {
		t.Errorf("rollout alone: exit %d, want 2", code)
	}
}
