package helm

import (
	"context"
	"errors"
	"fmt"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// Uninstall deletes release namespace/name, its resources and its history.
// It returns nil when the release is already absent. CRDs shipped in a
// chart's crds/ directory are kept, as Helm does.
func (c *Client) Uninstall(ctx context.Context, namespace, name string) error {
	ctx, timeout, done, err := c.begin(ctx, namespace, name)
	if err != nil {
		return err
	}
	defer done()
	cfg, err := c.configuration(namespace)
	if err != nil {
		return err
	}
	if _, err := cfg.Releases.History(name); err != nil {
		if errors.Is(err, driver.ErrReleaseNotFound) {
			return nil
		}
		return fmt.Errorf("uninstall release %s/%s: %w", namespace, name, err)
	}
	act := action.NewUninstall(cfg)
	act.Timeout = timeout
	act.WaitStrategy = c.opts.waitStrategy()
	act.WaitOptions = waitOptions(ctx)
	if _, err := act.Run(name); err != nil {
		if errors.Is(err, driver.ErrReleaseNotFound) {
			return nil
		}
		return safeError(fmt.Errorf("uninstall release %s/%s: %w", namespace, name, err), nil)
	}
	c.log.Info("uninstalled release", "namespace", namespace, "release", name)
	return nil
}
