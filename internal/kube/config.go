package kube

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// LoadConfig returns the client configuration of path, or when path is
// empty the usual chain: in-cluster, $KUBECONFIG, ~/.kube/config.
func LoadConfig(path string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if path != "" {
		rules.ExplicitPath = path
	} else if cfg, err := rest.InClusterConfig(); err == nil {
		return tune(cfg), nil
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %q: %w", path, err)
	}
	return tune(cfg), nil
}

// Client-side rate limits of every client made from a loaded config.
// client-go's defaults (5/s, bursts of 10) would hold one Helm upgrade of a
// 170-object chart (a GET and an apply per object, one after another) for
// half a minute; the API server's priority and fairness protects it from
// a busy client, as it does from kubectl (50/s, bursts of 300).
const (
	QPS   = 100
	Burst = 300
)

// tune raises client-side rate limits: Helm sends its requests one after
// another, and the agent reads in bursts when it checks a release.
func tune(cfg *rest.Config) *rest.Config {
	cfg.QPS, cfg.Burst = QPS, Burst
	return cfg
}
