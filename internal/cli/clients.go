package cli

import (
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/kube"
)

// connect returns a client for the cluster kubeconfig points at ("" means
// the usual chain: in-cluster, $KUBECONFIG, ~/.kube/config).
func connect(kubeconfig string) (client.Client, error) {
	cfg, err := kube.LoadConfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	return kube.NewClient(cfg)
}
