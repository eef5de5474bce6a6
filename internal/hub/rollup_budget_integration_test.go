package hub_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestStatusCapsRefused: the API server itself refuses a Cluster status
// with more components than limits.MaxStatusComponents or a message longer
// than limits.MaxMessageBytes, and a Hotplug with more components than
// limits.MaxComponents, naming the field; the object is unchanged.
func TestStatusCapsRefused(t *testing.T) {
	_, c, ctx := startPivot(t)
	cl := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "member-1"}, Spec: clusterv1.ClusterSpec{IsMemberCluster: true}}
	if err := c.Create(ctx, cl); err != nil {
		t.Fatal(err)
	}
	refused := func(what, field, want string, write func() error) {
		t.Helper()
		err := write()
		if err == nil || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want a refusal naming %s (%s)", what, err, field, want)
		}
	}
	many := cl.DeepCopy()
	for i := range limits.MaxStatusComponents + 1 {
		many.Status.Components = append(many.Status.Components, hotplugv1.ComponentStatus{Name: fmt.Sprintf("c%03d", i)})
	}
	refused("too many components", "status.components", fmt.Sprintf("must have at most %d items", limits.MaxStatusComponents),
		func() error { return c.Status().Update(ctx, many) })
	long := cl.DeepCopy()
	long.Status.Components = []hotplugv1.ComponentStatus{{Name: "mon", Message: strings.Repeat("x", limits.MaxMessageBytes+1)}}
	refused("too long a message", "status.components[0].message", "may not be more than 1024",
		func() error { return c.Status().Update(ctx, long) })
	got := &clusterv1.Cluster{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(cl), got); err != nil || len(got.Status.Components) != 0 {
		t.Errorf("a refused status changed the Cluster: %v %d components", err, len(got.Status.Components))
	}

	hp := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}}
	for i := range limits.MaxComponents + 1 {
		hp.Spec.Component = append(hp.Spec.Component, hotplugv1.ComponentSpec{Name: fmt.Sprintf("c%03d", i)})
	}
	refused("too many components in a Hotplug", "spec.component", fmt.Sprintf("must have at most %d items", limits.MaxComponents),
		func() error { return c.Create(ctx, hp) })
	hp.Spec.Component = hp.Spec.Component[:limits.MaxComponents]
	if err := c.Create(ctx, hp); err != nil {
		t.Errorf("a Hotplug of %d components is refused: %v", limits.MaxComponents, err)
	}
}

// inflate writes into cluster name's status the biggest report the CRD
// admits that still fits in an object: limits.MaxStatusComponents
// components, the configured ones (configured) and others no configuration
// has, each not ready with a message of limits.MaxMessageBytes.
func inflate(e *rolloutEnv, name string, configured []string) {
	e.t.Helper()
	msg := strings.Repeat("x", limits.MaxMessageBytes)
	names := append([]string(nil), configured...)
	for i := len(names); i < limits.MaxStatusComponents; i++ {
		names = append(names, fmt.Sprintf("stray-%03d", i))
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		c := &clusterv1.Cluster{}
		if err := e.c.Get(e.ctx, client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		c.Status.Components = nil
		for _, n := range names {
			c.Status.Components = append(c.Status.Components, hotplugv1.ComponentStatus{Name: n, Message: msg,
				Conditions: []metav1.Condition{{Type: hotplugv1.ConditionReady, Status: metav1.ConditionFalse,
					Reason: hotplugv1.ReasonWorkloadsFailed, Message: "failed", LastTransitionTime: metav1.Now()}}})
		}
		return e.c.Status().Update(e.ctx, c)
	})
	if err != nil {
		e.t.Fatalf("inflating %s's report: %v", name, err)
	}
}

// TestRollupSurvivesOversizedReports: four members write the biggest
// Cluster status the CRD admits (most components not in their
// configuration, every message as long as it may be). Before, the roll-up
// copied them into common's status (over etcd's limit): the hub could never
// write common again and a progressive rollout stood still. Now common's
// status stays within limits.MaxRollupBytes, the members over their share
// are summarized and named by ReportsSummarized, components no
// configuration has are not listed, and a rollout still completes.
func TestRollupSurvivesOversizedReports(t *testing.T) {
	cfg, c, ctx := startPivot(t)
	e := &rolloutEnv{t: t, c: c, members: map[string]*member{}, ctx: ctx}
	testenv.StoppableHub(t, cfg, hubOptions(t))
	loud := []string{"member-1", "member-2", "member-3", "member-4"}
	for _, name := range append([]string{"pivot-cluster"}, loud...) {
		e.addCluster(name, false)
	}
	// common configures "mon" (which the members play) and 99 others.
	configured := []string{"mon"}
	common := &hotplugv1.Hotplug{ObjectMeta: metav1.ObjectMeta{Name: hotplugv1.CommonName}, Spec: hotplugv1.HotplugSpec{
		Component: []hotplugv1.ComponentSpec{{Name: "mon", Status: hotplugv1.StatusEnabled, Env: "level: v1"}},
		Rollout: &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive,
			ProgressDeadline: &metav1.Duration{Duration: 2 * time.Minute}},
	}}
	for i := 1; i < limits.MaxComponents; i++ {
		n := fmt.Sprintf("addon-%02d", i)
		configured = append(configured, n)
		common.Spec.Component = append(common.Spec.Component, hotplugv1.ComponentSpec{Name: n, Status: hotplugv1.StatusDisabled})
	}
	if err := c.Create(ctx, common); err != nil {
		t.Fatal(err)
	}
	e.waitPhase(hotplugv1.RolloutComplete, 1, time.Minute)

	for _, name := range loud {
		inflate(e, name, configured)
	}
	next := e.edit("level: v2")
	st := e.waitPhase(hotplugv1.RolloutComplete, next, 3*time.Minute)
	if len(st.UpdatedClusters) != 5 {
		t.Errorf("rollout complete with %v updated", st.UpdatedClusters)
	}

	var got *hotplugv1.Hotplug
	testenv.Eventually(t, time.Minute, "common's status summarizes the loud members", func() (bool, string) {
		got = mustCommon(t, e)
		cond := meta.FindStatusCondition(got.Status.Conditions, hotplugv1.ConditionReportsSummarized)
		return cond != nil && cond.Status == metav1.ConditionTrue && got.Status.ObservedGeneration == next, fmt.Sprint(cond)
	})
	data, _ := json.Marshal(got.Status)
	t.Logf("common's status: %d bytes, %d components", len(data), len(got.Status.Components))
	if len(data) > limits.MaxRollupBytes+64<<10 { // the rollout's part on top
		t.Errorf("common's status is %d bytes", len(data))
	}
	cond := meta.FindStatusCondition(got.Status.Conditions, hotplugv1.ConditionReportsSummarized)
	if cond.Reason != hotplugv1.ReasonReportsOverBudget || !strings.Contains(cond.Message, "member-4") {
		t.Errorf("ReportsSummarized: %+v", cond)
	}
	for _, cs := range got.Status.Components {
		if strings.HasPrefix(cs.Name, "stray-") {
			t.Errorf("component %s is in no configuration but listed", cs.Name)
		}
	}
	if got.Status.Phase == hotplugv1.PhaseRunning {
		t.Errorf("common reads running while members report components failing")
	}
}
