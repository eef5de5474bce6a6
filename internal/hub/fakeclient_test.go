package hub

import (
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/kubecube-io/hotplug/internal/kube"
)

// fakeClient is an in-memory client with hotplug's scheme.
func fakeClient() client.Client {
	return fake.NewClientBuilder().WithScheme(kube.Scheme).Build()
}
