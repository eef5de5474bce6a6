package helm

import (
	"time"

	"github.com/go-logr/logr"
	"helm.sh/helm/v4/pkg/kube"

	"github.com/kubecube-io/hotplug/internal/drift"
)

// Defaults applied to zero Options fields.
const (
	DefaultMaxHistory = 10
	DefaultTimeout    = 5 * time.Minute
)

// Options configure a Client.
type Options struct {
	MaxHistory int           // release history kept; 0 means 10
	Wait       bool          // wait for the release's resources to be ready (Helm's status watcher)
	Timeout    time.Duration // per action; 0 means 5m
	Log        logr.Logger
	// Policy, when set, judges every install's and upgrade's rendered
	// manifest before anything reaches the cluster.
	Policy Policy
	// Respect says whether the fields a field manager owns on a live object
	// are left to it: upgrades, rollbacks and installs adopting existing
	// objects apply without them (and force conflicts on the rest), so an
	// HPA keeps the replicas it set. nil means drift.RespectedManager; give
	// the drift Detector the same function.
	Respect func(manager string) bool
}

// respect returns the Respect function to apply.
func (o Options) respect() func(string) bool {
	if o.Respect == nil {
		return drift.RespectedManager
	}
	return o.Respect
}

// maxHistory returns the history limit to apply.
func (o Options) maxHistory() int {
	if o.MaxHistory <= 0 {
		return DefaultMaxHistory
	}
	return o.MaxHistory
}

// timeout returns the per-action timeout to apply.
func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

// waitStrategy maps Wait to Helm's wait strategy.
func (o Options) waitStrategy() kube.WaitStrategy {
	if o.Wait {
		return kube.StatusWatcherStrategy
	}
	return kube.HookOnlyStrategy
}
