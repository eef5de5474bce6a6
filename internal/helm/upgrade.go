package helm

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"helm.sh/helm/v4/pkg/action"
	ri "helm.sh/helm/v4/pkg/release"

	"github.com/kubecube-io/hotplug/internal/redact"
)

// Upgrade upgrades existing release req.Namespace/req.Name to req.Chart with
// exactly req.Values (previous values are not reused) and exactly req.Labels
// (labels absent from req are removed). Neither req.Chart nor req.Values is
// modified. It wraps ErrNotFound when the release does not exist.
//
// When the upgrade fails after Helm recorded a new revision (apply error,
// readiness timeout with Options.Wait, cancelled ctx), the release is rolled
// back to its last deployed revision so it keeps serving, like Helm's
// RollbackOnFailure. The rollback is done here rather than by Helm's
// RollbackOnFailure because that one forces waiting even without
// Options.Wait, and shares the upgrade's deadline; this one gets its own
// Options.Timeout and runs even when ctx has ended. A failure while rendering
// or validating (bad template, schema violation) records nothing and leaves
// the release untouched. The error carries Helm's message, bounded and
// without req.Values' strings (see Redact).
//
// A release applied server-side is applied with conflicts forced, without
// the fields that respected managers (Options.Respect) own on the live
// objects: they keep them (an HPA its replicas), and a field another manager
// took is taken back. The rollback after a failure does the same.
func (c *Client) Upgrade(ctx context.Context, req Request) (*Release, error) {
	ctx, timeout, done, err := c.begin(ctx, req.Namespace, req.Name)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := req.validate(); err != nil {
		return nil, fmt.Errorf("upgrade release %s/%s: %w", req.Namespace, req.Name, err)
	}
	red := redact.New([]string{req.Name, req.Namespace}, req.Values)
	cfg, err := c.configuration(req.Namespace, red)
	if err != nil {
		return nil, err
	}
	lasti, err := cfg.Releases.Last(req.Name)
	if err != nil {
		return nil, fmt.Errorf("upgrade release %s/%s: %w", req.Namespace, req.Name, notFound(err, req.Namespace, req.Name))
	}
	last, err := toV1(lasti)
	if err != nil {
		return nil, fmt.Errorf("upgrade release %s/%s: %w", req.Namespace, req.Name, err)
	}

	log := c.log.WithValues("namespace", req.Namespace, "release", req.Name, "chart", req.Chart.Name(), "version", req.Chart.Metadata.Version)
	log.V(1).Info("upgrading release", "fromRevision", last.Version)
	var res ri.Releaser
	err = c.withMappingRetry(ctx, "upgrade", func() error {
		if cfg == nil {
			if cfg, err = c.configuration(req.Namespace, red); err != nil {
				return err
			}
		}
		act := action.NewUpgrade(cfg)
		// Forced, without the fields respected managers own (an HPA's
		// replicas): see respectingKube.
		act.ServerSideApply, act.ForceConflicts = applyMode(last.ApplyMethod)
		if act.ForceConflicts {
			c.respectOwners(ctx, cfg)
		}
		cfg = nil // a retry gets a fresh configuration: Helm's actions change theirs
		act.Namespace = req.Namespace
		act.Labels = exactLabels(userLabels(last.Labels), req.Labels)
		act.MaxHistory = c.opts.maxHistory()
		act.Timeout = timeout
		act.WaitStrategy = c.opts.waitStrategy()
		act.WaitOptions = waitOptions(ctx)
		act.ResetValues = true
		// The API server validates every object (Helm sends
		// fieldValidation=Strict); Helm's own check only asks, per action,
		// whether the server can, by fetching and parsing the OpenAPI v3
		// document of every group version in the manifest: most of an
		// action's CPU with large CRDs.
		act.DisableOpenAPIValidation = true
		if c.opts.Policy != nil {
			act.PostRenderer = policyRenderer{c.opts.Policy}
		}
		res, err = act.RunWithContext(ctx, req.Name, cloneChart(req.Chart), cloneValues(req.Values))
		return err
	})
	if err != nil {
		err = bounded(red.Error(fmt.Errorf("upgrade release %s/%s: %w", req.Namespace, req.Name, err)))
		switch to, rbErr := c.rollbackFailedUpgrade(ctx, req.Namespace, req.Name, last.Version); {
		case rbErr != nil:
			err = errors.Join(err, safeError(rbErr, map[string]any{"new": req.Values, "old": last.Config}, req.Name, req.Namespace))
		case to > 0:
			err = fmt.Errorf("%w (rolled back to revision %d)", err, to)
		}
		log.Info("upgrade failed", "error", err.Error())
		return nil, err
	}
	rel, err := fromHelm(res)
	if err != nil {
		return nil, fmt.Errorf("upgrade release %s/%s: %w", req.Namespace, req.Name, err)
	}
	log.Info("upgraded release", "revision", rel.Revision, "status", rel.Status)
	return rel, nil
}

// exactLabels returns the labels to give Helm's Upgrade (which merges them
// into the current ones) so that the result is exactly want: current labels
// missing from want are set to "null", which Helm deletes.
func exactLabels(current, want map[string]string) map[string]string {
	out := maps.Clone(want)
	if out == nil {
		out = map[string]string{}
	}
	for k := range current {
		if _, ok := want[k]; !ok {
			out[k] = "null"
		}
	}
	return out
}

// rollbackFailedUpgrade rolls namespace/name back to its last deployed
// revision when the upgrade from revision prev recorded a newer revision that
// is not deployed, and returns the revision rolled back to. It does nothing
// (returns 0) when no revision was recorded or none was ever deployed.
func (c *Client) rollbackFailedUpgrade(ctx context.Context, namespace, name string, prev int) (int, error) {
	cfg, err := c.configuration(namespace)
	if err != nil {
		return 0, err
	}
	hist, err := cfg.Releases.History(name)
	if err != nil {
		return 0, fmt.Errorf("rollback after failed upgrade: %w", notFound(err, namespace, name))
	}
	last, target, err := lastAndDeployed(hist)
	if err != nil {
		return 0, fmt.Errorf("rollback after failed upgrade: %w", err)
	}
	if last == nil || last.Version <= prev || last.Info.Status == statusDeployed || target == 0 {
		return 0, nil
	}
	// The caller's ctx may have ended (that can be why the upgrade failed);
	// the rollback still runs, with its own timeout.
	timeout := c.opts.timeout()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := c.rollback(rctx, cfg, name, target, timeout); err != nil {
		return 0, fmt.Errorf("rollback after failed upgrade to revision %d: %w", target, err)
	}
	c.log.Info("rolled back failed upgrade", "namespace", namespace, "release", name, "failedRevision", last.Version, "toRevision", target)
	return target, nil
}
