package helm

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	ri "helm.sh/helm/v4/pkg/release"
	release "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// List returns the latest revision of every release, in all namespaces, whose
// release labels (without Helm's system labels) match selector; a nil selector
// matches everything. Results are sorted by namespace, then name.
func (c *Client) List(ctx context.Context, selector labels.Selector) ([]*Release, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	if selector == nil {
		selector = labels.Everything()
	}
	cfg, err := c.configuration("")
	if err != nil {
		return nil, err
	}
	all, err := cfg.Releases.List(func(ri.Releaser) bool { return true })
	if err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	latest := map[[2]string]*release.Release{}
	for _, r := range all {
		rel, err := toV1(r)
		if err != nil {
			return nil, fmt.Errorf("list releases: %w", err)
		}
		key := [2]string{rel.Namespace, rel.Name}
		if cur, ok := latest[key]; !ok || rel.Version > cur.Version {
			latest[key] = rel
		}
	}
	out := make([]*Release, 0, len(latest))
	for _, rel := range latest {
		if !selector.Matches(labels.Set(userLabels(rel.Labels))) {
			continue
		}
		r, err := fromHelm(rel)
		if err != nil {
			return nil, fmt.Errorf("list releases: %w", err)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Release) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}
