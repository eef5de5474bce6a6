// Package devenv runs hotplug's local demo fleet: a pivot and member
// clusters started from the binaries in bin/ (building them when missing),
// the example charts, the seed's configuration, the hub and one agent per
// cluster, all in this process. `hotplug dev` is a thin wrapper around
// Start; tests can use it directly.
package devenv

import (
	"fmt"
	"io"
	"time"

	"github.com/go-logr/logr"
)

// PivotName is the name of the management cluster, as in the seed.
const PivotName = "pivot-cluster"

// Options configure Start.
type Options struct {
	// StateDir holds etcd's data, each cluster's kubeconfig and logs, the
	// chart packages and the controllers' logs. Required.
	StateDir string
	// Members is the number of member clusters (member-1, ...).
	Members int
	// Workloads runs controller-manager, scheduler and kwok in every
	// cluster, so the components' Deployments, DaemonSets and StatefulSets
	// become Ready (and agents wait for them before saying "running").
	Workloads bool
	// PivotPort and BasePort fix the API server ports of the pivot and of
	// member-1 (member-N gets BasePort+N-1); 0 picks free ports.
	PivotPort, BasePort int
	// BinDir holds the control-plane binaries; empty means
	// controlplane.FindBinDir.
	BinDir string
	// ConvergeTimeout bounds the wait for the fleet to converge; default 3m.
	ConvergeTimeout time.Duration
	// Progress receives human-readable progress lines (build output,
	// cluster start-up, convergence). Nil discards them.
	Progress io.Writer
	// Log receives structured logs of Start and Stop themselves; the hub's
	// and agents' logs go to files in StateDir.
	Log logr.Logger
}

func (o Options) withDefaults() Options {
	if o.ConvergeTimeout <= 0 {
		o.ConvergeTimeout = 3 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}

func (o Options) validate() error {
	if o.StateDir == "" {
		return fmt.Errorf("state directory is empty")
	}
	if o.Members < 0 {
		return fmt.Errorf("members must be 0 or more, got %d", o.Members)
	}
	for name, p := range map[string]int{"pivot port": o.PivotPort, "base port": o.BasePort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("%s %d is not a TCP port", name, p)
		}
	}
	if o.BasePort > 0 && o.BasePort+o.Members-1 > 65535 {
		return fmt.Errorf("base port %d leaves no room for %d members", o.BasePort, o.Members)
	}
	return nil
}

// MemberName is the name of the i-th member cluster (1-based).
func MemberName(i int) string { return fmt.Sprintf("member-%d", i) }
