package agent

import (
	"context"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/kubecube-io/hotplug/internal/helm"
)

// perform runs one step through the Helm wrapper (internal/helm), the one
// place the agent calls Helm to change a release, and counts it.
func (r *Reconciler) perform(ctx context.Context, name string, s Step, d Desired, ch *chartv2.Chart) (*helm.Release, error) {
	start := time.Now()
	var err error
	var rel *helm.Release
	switch s.Action {
	case ActionInstall, ActionUpgrade:
		req := helm.Request{Name: name, Namespace: s.Namespace, Chart: ch, Values: d.Component.Values,
			Labels: map[string]string{LabelManagedBy: ManagedByValue, LabelCluster: r.opts.ClusterName, LabelDigest: d.Digest}}
		if s.Action == ActionInstall {
			rel, err = r.helm.Install(ctx, req)
		} else {
			rel, err = r.helm.Upgrade(ctx, req)
		}
		if err == nil && rel != nil {
			err = r.inv.set(ctx, name, rel.Namespace)
		}
	case ActionUninstall:
		err = r.helm.Uninstall(ctx, s.Namespace, name)
	case ActionRecover:
		rel, err = r.helm.Recover(ctx, s.Namespace, name)
	case ActionNone, ActionWait, ActionRepair, ActionBlocked, ActionHoldUninstall:
	}
	result := "success"
	if err != nil {
		result = "failure"
	}
	helmActions.WithLabelValues(name, string(s.Action), result).Inc()
	helmActionDuration.WithLabelValues(name, string(s.Action)).Observe(time.Since(start).Seconds())
	return rel, err
}
