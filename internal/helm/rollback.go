package helm

import (
	"context"
	"fmt"
	"time"

	"helm.sh/helm/v4/pkg/action"
	ri "helm.sh/helm/v4/pkg/release"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
)

// statusDeployed is Helm's deployed status.
const statusDeployed = rcommon.StatusDeployed

// rollback rolls name back to revision with Helm's Rollback action. Like an
// upgrade, a revision applied server-side is applied with conflicts forced,
// without the fields respected managers own (see respectingKube): the
// revision's stored manifest is kept as it is.
func (c *Client) rollback(ctx context.Context, cfg *action.Configuration, name string, revision int, timeout time.Duration) error {
	target, err := cfg.Releases.Get(name, revision)
	if err != nil {
		return fmt.Errorf("read revision %d: %w", revision, err)
	}
	rel, err := toV1(target)
	if err != nil {
		return fmt.Errorf("read revision %d: %w", revision, err)
	}
	rb := action.NewRollback(cfg)
	// Helm's "auto" decides by the revision rolled back to, as here.
	rb.ServerSideApply, rb.ForceConflicts = applyMode(rel.ApplyMethod)
	if rb.ForceConflicts {
		c.respectOwners(ctx, cfg)
	}
	rb.Version = revision
	rb.Timeout = timeout
	rb.WaitStrategy = c.opts.waitStrategy()
	rb.WaitOptions = waitOptions(ctx)
	rb.MaxHistory = c.opts.maxHistory()
	return rb.Run(name)
}

// lastAndDeployed returns the latest revision in hist and the number of the
// newest earlier revision that was deployed (status deployed or superseded),
// or 0 when there is none.
func lastAndDeployed(hist []ri.Releaser) (*release.Release, int, error) {
	var last *release.Release
	rels := make([]*release.Release, 0, len(hist))
	for _, h := range hist {
		r, err := toV1(h)
		if err != nil {
			return nil, 0, err
		}
		if r.Info == nil {
			continue
		}
		rels = append(rels, r)
		if last == nil || r.Version > last.Version {
			last = r
		}
	}
	target := 0
	for _, r := range rels {
		if r == last {
			continue
		}
		if s := r.Info.Status; (s == rcommon.StatusDeployed || s == rcommon.StatusSuperseded) && r.Version > target {
			target = r.Version
		}
	}
	return last, target, nil
}
