package helm

import (
	"errors"
	"fmt"
	"maps"
	"time"

	ri "helm.sh/helm/v4/pkg/release"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
)

// ErrNotFound is wrapped by errors reporting that a release has no stored revision.
var ErrNotFound = errors.New("release not found")

// Release is what hotplug needs to know of one release (its latest revision,
// or one revision in History).
type Release struct {
	Name, Namespace     string
	Revision            int
	Status              string // Helm's: deployed, failed, pending-install, pending-upgrade, pending-rollback, uninstalling, superseded ...
	Chart, ChartVersion string
	// ChartDigest is the package digest the agent recorded in the chart's
	// metadata (hotplugv1.ChartDigestAnnotation) when it pulled the chart
	// from a registry; "" for a chart from the chart directory.
	ChartDigest string
	Labels      map[string]string // Helm release labels (stored with the release), without Helm's system labels
	Digest      string            // chartpkg.Digest(release's stored chart, release's stored config)
	Values      map[string]any    // the release's user-supplied config
	Manifest    string
	// Since is when this revision's action started (Helm's LastDeployed,
	// stamped when the revision is recorded, pending or not); zero when
	// Helm stored none.
	Since time.Time
}

// toV1 converts Helm's release interface to the v1 release it holds.
func toV1(r ri.Releaser) (*release.Release, error) {
	switch rel := r.(type) {
	case *release.Release:
		if rel == nil {
			return nil, errors.New("nil release")
		}
		return rel, nil
	case release.Release:
		return &rel, nil
	default:
		return nil, fmt.Errorf("unsupported release type %T", r)
	}
}

// fromHelm converts a Helm release into a Release.
func fromHelm(r ri.Releaser) (*Release, error) {
	rel, err := toV1(r)
	if err != nil {
		return nil, err
	}
	out := &Release{
		Name:      rel.Name,
		Namespace: rel.Namespace,
		Revision:  rel.Version,
		Labels:    userLabels(rel.Labels),
		Digest:    chartpkg.Digest(rel.Chart, rel.Config),
		Values:    rel.Config,
		Manifest:  rel.Manifest,
	}
	if rel.Info != nil {
		out.Status = rel.Info.Status.String()
		out.Since = rel.Info.LastDeployed
		if out.Since.IsZero() {
			out.Since = rel.Info.FirstDeployed
		}
	}
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		out.Chart = rel.Chart.Metadata.Name
		out.ChartVersion = rel.Chart.Metadata.Version
		out.ChartDigest = rel.Chart.Metadata.Annotations[hotplugv1.ChartDigestAnnotation]
	}
	return out, nil
}

// userLabels returns labels without Helm's system labels (owner, name, status,
// version, createdAt, modifiedAt), which some storage reads leave in.
func userLabels(labels map[string]string) map[string]string {
	out := maps.Clone(labels)
	for _, k := range driver.GetSystemLabels() {
		delete(out, k)
	}
	if out == nil {
		out = map[string]string{}
	}
	return out
}

// notFound wraps ErrNotFound when err is Helm's "no such release" error.
func notFound(err error, namespace, name string) error {
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return fmt.Errorf("release %s/%s: %w", namespace, name, ErrNotFound)
	}
	return err
}
