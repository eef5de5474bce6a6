package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// ReleaseGetter reads one release; (*helm.Client).Get is one.
type ReleaseGetter func(ctx context.Context, namespace, name string) (*helm.Release, error)

// Observe is what the agent sees of component name before it plans: its
// releases in the desired namespace and in managedNS (where the inventory
// says the agent put it), read with get. now and timeout decide whether a
// pending release may be taken over; a zero now (a preview) never does.
// `hotplug diff` calls it too, so the preview plans from the same view.
func Observe(ctx context.Context, get ReleaseGetter, name string, d Desired, managedNS string, now time.Time, timeout time.Duration) (Observed, error) {
	obs := Observed{Name: name, ManagedNamespace: managedNS, Now: now, Timeout: timeout}
	seen := map[string]bool{}
	for _, ns := range []string{desiredNamespace(d), managedNS} {
		if ns == "" || seen[ns] {
			continue
		}
		seen[ns] = true
		rel, err := get(ctx, ns, name)
		if errors.Is(err, helm.ErrNotFound) {
			continue
		}
		if err != nil {
			return obs, fmt.Errorf("reading release %s/%s: %w", ns, name, err)
		}
		obs.Releases = append(obs.Releases, rel)
	}
	return obs, nil
}

// observe is one round's look at the component, everything Plan decides
// on: its releases and, only where the decision depends on them (so an
// unchanged component costs its release reads alone), the drift of a
// release in sync with Helm, the confirmation of an absent configuration
// before the uninstall it asks for, and the standing of the other
// components for the dependency gate. The values seen are remembered first,
// so that whatever leaves the reconcile from here on is redacted of them.
func (r *Reconciler) observe(ctx context.Context, p *pass) (Observed, error) {
	obs, err := r.observeReleases(ctx, p.name, p.d)
	if err != nil {
		return obs, err
	}
	r.remember(p.name, p.d, obs)
	steps := releaseSteps(p.d, obs)
	switch {
	case len(steps) == 0:
		// In sync with Helm: look at the objects themselves.
		obs.driftRecheck = r.observeDrift(ctx, p.name, releaseIn(obs, p.d), p.d, &obs)
	case uninstallsUnnamed(p.d, steps) && r.sourcesAbsent(p.common, p.own):
		f := r.confirmAbsence(ctx)
		obs.absence = &f
	}
	if len(steps) > 0 {
		deps := r.dependencies(p.eff)
		obs.deps = &deps
	}
	return obs, nil
}

// observeReleases reads the component's releases in the desired namespace
// and in the namespace the inventory remembers.
func (r *Reconciler) observeReleases(ctx context.Context, name string, d Desired) (Observed, error) {
	return Observe(ctx, r.helm.Get, name, d, r.inv.get(name), time.Now(), r.opts.Timeout)
}

// sourcesAbsent tells whether a source of the cluster's configuration is
// absent: `common`, or (except on the agent of `common` itself) the
// cluster's own Hotplug.
func (r *Reconciler) sourcesAbsent(common, own *hotplugv1.Hotplug) bool {
	return common == nil || (r.opts.ClusterName != hotplugv1.CommonName && own == nil)
}

// confirmAbsence reads what decideAbsence needs: the sources past the
// cache and, when they are absent there too, the cluster's discovery of
// the Hotplug kind (remembering when it was last seen vanished).
func (r *Reconciler) confirmAbsence(ctx context.Context) absenceFacts {
	f := absenceFacts{Now: time.Now()}
	lc, lo, err := r.directConfig(ctx)
	f.LiveErr, f.LiveAbsent = err, err == nil && r.sourcesAbsent(lc, lo)
	if !f.LiveAbsent {
		return f
	}
	f.Kind, f.KindWhy = kube.KindServed, ""
	if r.kind != nil {
		f.Kind, f.KindWhy = r.kind(ctx)
	}
	r.kindSeen.Lock()
	if f.Kind == kube.KindVanished {
		r.kindVanishedAt = f.Now
	}
	f.VanishedAt = r.kindVanishedAt
	r.kindSeen.Unlock()
	return f
}

// dependencies gathers what Gate needs from the agent's records now.
func (r *Reconciler) dependencies(eff merge.Result) Dependencies {
	inv := map[string]string{}
	for _, n := range r.inv.names() {
		inv[n] = r.inv.get(n)
	}
	return Dependencies{Eff: eff, Outs: r.outs.snapshot(), Inventory: inv, Remembered: r.wake.snapshot()}
}
