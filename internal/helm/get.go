package helm

import (
	"context"
	"fmt"
	"slices"

	ri "helm.sh/helm/v4/pkg/release"
)

// Get returns the latest revision of release namespace/name, whatever its
// status. It wraps ErrNotFound when the release has no stored revision.
// Reads do not wait for operations in flight on the release.
func (c *Client) Get(ctx context.Context, namespace, name string) (*Release, error) {
	if err := checkKey(ctx, namespace, name); err != nil {
		return nil, err
	}
	cfg, err := c.configuration(namespace)
	if err != nil {
		return nil, err
	}
	last, err := cfg.Releases.Last(name)
	if err != nil {
		return nil, fmt.Errorf("get release %s/%s: %w", namespace, name, notFound(err, namespace, name))
	}
	rel, err := fromHelm(last)
	if err != nil {
		return nil, fmt.Errorf("get release %s/%s: %w", namespace, name, err)
	}
	return rel, nil
}

// History returns every stored revision of release namespace/name, oldest
// first. It wraps ErrNotFound when there is none.
func (c *Client) History(ctx context.Context, namespace, name string) ([]*Release, error) {
	if err := checkKey(ctx, namespace, name); err != nil {
		return nil, err
	}
	cfg, err := c.configuration(namespace)
	if err != nil {
		return nil, err
	}
	hist, err := cfg.Releases.History(name)
	if err != nil {
		return nil, fmt.Errorf("history of release %s/%s: %w", namespace, name, notFound(err, namespace, name))
	}
	out, err := fromHelmList(hist)
	if err != nil {
		return nil, fmt.Errorf("history of release %s/%s: %w", namespace, name, err)
	}
	slices.SortFunc(out, func(a, b *Release) int { return a.Revision - b.Revision })
	return out, nil
}

// fromHelmList converts a list of Helm releases.
func fromHelmList(rels []ri.Releaser) ([]*Release, error) {
	out := make([]*Release, 0, len(rels))
	for _, r := range rels {
		rel, err := fromHelm(r)
		if err != nil {
			return nil, err
		}
		out = append(out, rel)
	}
	return out, nil
}
