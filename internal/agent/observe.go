package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubecube-io/hotplug/internal/helm"
)

// ReleaseGetter reads one release; (*helm.Client).Get is one.
type ReleaseGetter func(ctx context.Context, namespace, name string) (*helm.Release, error)

// Observe is what the agent sees of component name before it plans: its
// releases in the desired namespace and in managedNS (where the inventory
// says the agent put it), read with get. now and timeout decide whether a
// pending release may be taken over; a zero now (a preview) never does.
// `hotplug diff` calls it too, so the preview plans from the same view.
func Observe(ctx context.Context, get ReleaseGetter, name string, d Desired, managedNS string, now time.Time, timeout time.Duration) (Observed, error) {
	obs := Observed{ManagedNamespace: managedNS, Now: now, Timeout: timeout}
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
