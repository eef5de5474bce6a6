package helm

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	ri "helm.sh/helm/v4/pkg/release"

	"github.com/kubecube-io/hotplug/internal/redact"
)

// Request describes the release to install or upgrade to.
type Request struct {
	Name, Namespace string
	Chart           *chartv2.Chart
	Values          map[string]any
	Labels          map[string]string // stored as Helm release labels (Install.Labels / Upgrade.Labels)
}

// validate checks the fields every action needs.
func (r Request) validate() error {
	if r.Chart == nil || r.Chart.Metadata == nil {
		return errors.New("request has no chart")
	}
	return nil
}

// Install installs req as revision 1 of a new release, creating the namespace
// when missing. Neither req.Chart nor req.Values is modified. It waits for
// readiness only when Options.Wait is set. On failure the error carries Helm's
// message; a release that got as far as being stored is left as Helm left it
// (typically failed), for the caller to inspect with Get. The error's text is
// bounded and never quotes req.Values' strings (see Redact).
func (c *Client) Install(ctx context.Context, req Request) (*Release, error) {
	ctx, timeout, done, err := c.begin(ctx, req.Namespace, req.Name)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := req.validate(); err != nil {
		return nil, fmt.Errorf("install release %s/%s: %w", req.Namespace, req.Name, err)
	}
	log := c.log.WithValues("namespace", req.Namespace, "release", req.Name, "chart", req.Chart.Name(), "version", req.Chart.Metadata.Version)
	log.V(1).Info("installing release")
	var res ri.Releaser
	red := redact.New([]string{req.Name, req.Namespace}, req.Values)
	err = c.withMappingRetry(ctx, "install", func() error {
		cfg, err := c.configuration(req.Namespace, red)
		if err != nil {
			return err
		}
		act := action.NewInstall(cfg)
		act.ReleaseName = req.Name
		act.Namespace = req.Namespace
		act.CreateNamespace = true
		// Objects that exist already (left by an uninstall that kept them,
		// or a lost release record) are applied like an upgrade's: forced,
		// without the fields respected managers own (see respectingKube).
		// New objects are created whole and cost no read.
		act.ServerSideApply, act.ForceConflicts = true, true
		c.respectOwners(ctx, cfg)
		// The API server validates every object (Helm sends
		// fieldValidation=Strict); Helm's own check only asks, per action,
		// whether the server can, by fetching and parsing the OpenAPI v3
		// document of every group version in the manifest: most of an
		// action's CPU with large CRDs.
		act.DisableOpenAPIValidation = true
		act.Labels = maps.Clone(req.Labels)
		act.Timeout = timeout
		act.WaitStrategy = c.opts.waitStrategy()
		act.WaitOptions = waitOptions(ctx)
		if c.opts.Policy != nil {
			act.PostRenderer = policyRenderer{c.opts.Policy}
		}
		res, err = act.RunWithContext(ctx, cloneChart(req.Chart), cloneValues(req.Values))
		return err
	})
	if err != nil {
		return nil, bounded(red.Error(fmt.Errorf("install release %s/%s: %w", req.Namespace, req.Name, err)))
	}
	rel, err := fromHelm(res)
	if err != nil {
		return nil, fmt.Errorf("install release %s/%s: %w", req.Namespace, req.Name, err)
	}
	log.Info("installed release", "revision", rel.Revision, "status", rel.Status)
	return rel, nil
}
