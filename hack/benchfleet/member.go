package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/merge"
	"github.com/kubecube-io/hotplug/internal/mirror"
	"github.com/kubecube-io/hotplug/internal/report"
)

// member is a simulated member cluster: the agent's real mirror and
// reporter against the pivot, under the member's own identity, with an
// in-memory client standing in for the member's API server (the mirrors
// land there) and no Helm: every enabled component reports running, unless
// the bench degrades the member.
type member struct {
	name  string
	local client.Client
	rep   *report.Reporter

	mu       sync.Mutex
	degraded bool
	since    metav1.Time // transition time of the degraded component
}

// startMember starts the member's mirror and reporter until ctx ends.
func startMember(ctx context.Context, name string, pivotCfg *rest.Config, interval time.Duration, namespace string) (*member, error) {
	pivot, err := kube.NewClient(pivotCfg)
	if err != nil {
		return nil, fmt.Errorf("member %s: pivot client: %w", name, err)
	}
	m := &member{name: name, local: fake.NewClientBuilder().WithScheme(kube.Scheme).Build(), since: metav1.Now()}
	m.rep = report.New(report.Options{Cluster: name, Pivot: pivot, Member: true, Interval: interval,
		PivotNamespace: namespace, Log: logr.Discard()})
	mir, err := mirror.New(name, namespace, pivotCfg, m.local, logr.Discard(), func() { m.report(ctx) })
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", name, err)
	}
	go func() { _ = mir.Start(ctx) }()
	go func() { _ = m.rep.Start(ctx) }()
	return m, nil
}

// setDegraded makes logagent not ready (or ready again) and reports it.
func (m *member) setDegraded(ctx context.Context, on bool) {
	m.mu.Lock()
	m.degraded, m.since = on, metav1.Now()
	m.mu.Unlock()
	m.report(ctx)
}

// report computes the member's status from its mirrors, as the agent would
// after a reconcile, and hands it to the reporter.
func (m *member) report(ctx context.Context) {
	common, own := m.mirror(ctx, hotplugv1.CommonName), m.mirror(ctx, m.name)
	eff := merge.EffectiveWithin(ctx, limits.Default(), m.name, common, own)
	m.mu.Lock()
	degraded, since := m.degraded, m.since
	m.mu.Unlock()
	st := hotplugv1.HotplugStatus{Phase: hotplugv1.PhaseRunning}
	ready := metav1.Condition{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: "AllComponentsReady", LastTransitionTime: since}
	for _, c := range eff.Components {
		cs := hotplugv1.ComponentStatus{Name: c.Name, Message: hotplugv1.MessageRunning}
		cond := metav1.Condition{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: hotplugv1.ReasonDeployed, LastTransitionTime: since}
		switch {
		case !c.Enabled:
			cs.Message, cond.Reason = hotplugv1.StatusDisabled, hotplugv1.ReasonDisabled
		case degraded && c.Name == "logagent":
			cs.Message = "Deployment logagent/logagent: Available: 0/1"
			cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, hotplugv1.ReasonProgressing, cs.Message
			st.Phase = hotplugv1.PhaseProgressing
			ready.Status, ready.Reason = metav1.ConditionFalse, "ComponentsNotReady"
		}
		cs.Conditions = []metav1.Condition{cond}
		st.Components = append(st.Components, cs)
	}
	st.Conditions = []metav1.Condition{ready}
	m.rep.Update(st, common, own)
}

func (m *member) mirror(ctx context.Context, name string) *hotplugv1.Hotplug {
	hp := &hotplugv1.Hotplug{}
	if err := m.local.Get(ctx, client.ObjectKey{Name: name}, hp); err != nil {
		return nil
	}
	return hp
}
