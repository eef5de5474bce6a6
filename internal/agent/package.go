package agent

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartfetch"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/chartsource"
	"github.com/kubecube-io/hotplug/internal/merge"
)

// loadPackage loads the package of a component that wants a release: from
// the chart directory (pkgName) or pulled from its registry (chart), served
// from the on-disk cache when it is there.
//
// A range is resolved again every --chart-poll-interval and whenever a
// Hotplug changes (the epoch is their generations), not on every look at
// the component (health rechecks, drift, dependencies).
func (r *Reconciler) loadPackage(ctx context.Context, c *merge.Component, common, own *hotplugv1.Hotplug) (chartfetch.Fetched, error) {
	epoch := ""
	for _, hp := range []*hotplugv1.Hotplug{common, own} {
		if hp != nil {
			epoch += fmt.Sprintf("%s@%d;", hp.Name, hp.Generation)
		}
	}
	return r.fetch.FetchAt(ctx, c.Name, c.PkgName, c.Chart, epoch)
}

// packageErrorMessage is the event text of a package error: an error that
// already names the component (a chart source's) is not prefixed again.
func packageErrorMessage(component string, err error) string {
	if strings.HasPrefix(err.Error(), "component "+component+": ") {
		return err.Error() // chartfetch's errors name the component already
	}
	return fmt.Sprintf("component %s: %v", component, err)
}

// secretLogin reads the Secrets charts name from the agent's namespace,
// uncached: a Secret is read only when a chart needs it, and the agent
// keeps no informer on Secrets.
func secretLogin(c client.Reader, namespace string) chartfetch.SecretLogin {
	return chartfetch.SecretLogin{
		Read: func(ctx context.Context, name string) (map[string][]byte, error) {
			sec := &corev1.Secret{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, sec); err != nil {
				return nil, fmt.Errorf("reading it: %w", err)
			}
			return sec.Data, nil
		},
		Where: func(name string) string { return "Secret " + namespace + "/" + name },
	}
}

// newFetcher builds the agent's package source: the chart directory, and a
// puller whose cache never evicts the package a release this agent knows of
// came from.
func newFetcher(opts Options, direct client.Reader, outs *outcomes) *chartfetch.Fetcher {
	maxSize := opts.ChartCacheMaxSize
	if maxSize < 0 {
		maxSize = 0 // no bound
	}
	cache := &chartsource.Cache{Dir: opts.ChartCacheDir, MaxBytes: maxSize, InUse: func(digest string) bool {
		for _, o := range outs.snapshot() {
			if o.Release != nil && o.Release.ChartDigest == digest {
				return true
			}
		}
		return false
	}}
	puller := &chartsource.Puller{Cache: cache, MaxPackageBytes: opts.Limits.ChartBytes, MaxIndexBytes: opts.MaxRepositoryIndexSize}
	f := chartfetch.New(chartpkg.NewLoader(opts.ChartDir, opts.Limits), puller,
		secretLogin(direct, opts.Namespace), opts.Limits, "this agent")
	f.RangeTTL = opts.ChartPollInterval
	return f
}
