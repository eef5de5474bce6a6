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

// tune raises client-side rate limits: the agent issues bursts of reads
// while Helm compares manifests.
func tune(cfg *rest.Config) *rest.Config {
	cfg.QPS, cfg.Burst = 50, 100
	return cfg
}
