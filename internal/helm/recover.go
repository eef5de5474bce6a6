package helm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"helm.sh/helm/v4/pkg/action"
	ri "helm.sh/helm/v4/pkg/release"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// Recover repairs release namespace/name when its latest revision is stuck in
// pending-install, pending-upgrade or pending-rollback (the process running
// the action died mid-way). A pending revision younger than Options.Timeout
// may still be in flight elsewhere (a person running helm, another agent):
// Recover leaves it alone and returns it with a *HeldError (see Held). The
// stuck revision is marked failed, then the
// release is rolled back to its last deployed revision and that result is
// returned; when no revision was ever deployed the release is uninstalled and
// Recover returns nil, nil. For any other status it does nothing and returns
// the latest revision. It wraps ErrNotFound when the release does not exist.
//
// Within this Client, Recover waits for operations in flight on the release.
func (c *Client) Recover(ctx context.Context, namespace, name string) (*Release, error) {
	ctx, timeout, done, err := c.begin(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	defer done()
	cfg, err := c.configuration(namespace)
	if err != nil {
		return nil, err
	}
	hist, err := cfg.Releases.History(name)
	if err != nil {
		return nil, fmt.Errorf("recover release %s/%s: %w", namespace, name, notFound(err, namespace, name))
	}
	last, target, err := lastAndDeployed(hist)
	if err != nil {
		return nil, fmt.Errorf("recover release %s/%s: %w", namespace, name, err)
	}
	if last == nil {
		return nil, fmt.Errorf("recover release %s/%s: %w", namespace, name, ErrNotFound)
	}
	if !last.Info.Status.IsPending() {
		return fromHelm(last)
	}
	pending, err := fromHelm(last)
	if err != nil {
		return nil, fmt.Errorf("recover release %s/%s: %w", namespace, name, err)
	}
	if until, held := Held(pending, time.Now(), c.opts.timeout()); held {
		return pending, &HeldError{Release: pending, Until: until}
	}

	log := c.log.WithValues("namespace", namespace, "release", name, "revision", last.Version, "status", last.Info.Status.String())
	last.SetStatus(rcommon.StatusFailed, fmt.Sprintf("hotplug: %s interrupted, recovered", last.Info.Status))
	if err := cfg.Releases.Update(last); err != nil {
		return nil, fmt.Errorf("recover release %s/%s: mark revision %d failed: %w", namespace, name, last.Version, err)
	}

	if target == 0 {
		log.Info("uninstalling interrupted release that was never deployed")
		un := action.NewUninstall(cfg)
		un.Timeout = timeout
		un.WaitStrategy = c.opts.waitStrategy()
		un.WaitOptions = waitOptions(ctx)
		if _, err := un.Run(name); err != nil && !errors.Is(err, driver.ErrReleaseNotFound) {
			return nil, safeError(fmt.Errorf("recover release %s/%s: uninstall: %w", namespace, name, err), allConfigs(hist), name, namespace)
		}
		return nil, nil
	}

	log.Info("rolling back interrupted release", "toRevision", target)
	if err := c.rollback(ctx, cfg, name, target, timeout); err != nil {
		return nil, safeError(fmt.Errorf("recover release %s/%s: rollback to revision %d: %w", namespace, name, target, err), allConfigs(hist), name, namespace)
	}
	lasti, err := cfg.Releases.Last(name)
	if err != nil {
		return nil, fmt.Errorf("recover release %s/%s: %w", namespace, name, notFound(err, namespace, name))
	}
	rel, err := fromHelm(lasti)
	if err != nil {
		return nil, fmt.Errorf("recover release %s/%s: %w", namespace, name, err)
	}
	return rel, nil
}

// allConfigs gathers the values of every revision in hist, for redacting
// errors that may quote any of them.
func allConfigs(hist []ri.Releaser) map[string]any {
	out := map[string]any{}
	for i, h := range hist {
		if r, err := toV1(h); err == nil {
			out[strconv.Itoa(i)] = r.Config
		}
	}
	return out
}
