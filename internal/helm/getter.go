package helm

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// discoveryBurst matches kubectl's: discovery issues many requests at once.
const discoveryBurst = 300

// restClientGetter is an in-memory genericclioptions.RESTClientGetter. The
// discovery cache and REST mapper are shared by every namespace view made
// with forNamespace, and are safe for concurrent use.
type restClientGetter struct {
	config    *rest.Config
	discovery discovery.CachedDiscoveryInterface
	mapper    meta.ResettableRESTMapper
	namespace string
}

var _ genericclioptions.RESTClientGetter = (*restClientGetter)(nil)

// newRESTClientGetter builds a getter with a memory-cached discovery client
// and a deferred, discovery-based REST mapper (reset and retried on a miss).
func newRESTClientGetter(cfg *rest.Config) (*restClientGetter, error) {
	dcfg := rest.CopyConfig(cfg)
	if dcfg.Burst < discoveryBurst {
		dcfg.Burst = discoveryBurst
	}
	dc, err := discovery.NewDiscoveryClientForConfig(dcfg)
	if err != nil {
		return nil, fmt.Errorf("create discovery client: %w", err)
	}
	cached := memory.NewMemCacheClient(dc)
	return &restClientGetter{
		config:    rest.CopyConfig(cfg),
		discovery: cached,
		mapper:    restmapper.NewDeferredDiscoveryRESTMapper(cached),
	}, nil
}

// forNamespace returns a view of g whose kubeconfig namespace is namespace.
func (g *restClientGetter) forNamespace(namespace string) *restClientGetter {
	v := *g
	v.namespace = namespace
	return &v
}

// ToRESTConfig returns a copy of the admin config.
func (g *restClientGetter) ToRESTConfig() (*rest.Config, error) {
	return rest.CopyConfig(g.config), nil
}

// ToDiscoveryClient returns the shared memory-cached discovery client.
func (g *restClientGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return g.discovery, nil
}

// ToRESTMapper returns the shared deferred discovery REST mapper.
func (g *restClientGetter) ToRESTMapper() (meta.RESTMapper, error) {
	return g.mapper, nil
}

// ToRawKubeConfigLoader returns a loader that reports g's namespace and config.
func (g *restClientGetter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	return staticClientConfig{config: g.config, namespace: g.namespace}
}

// staticClientConfig is a clientcmd.ClientConfig over a fixed rest.Config.
type staticClientConfig struct {
	config    *rest.Config
	namespace string
}

// RawConfig returns an empty kubeconfig: there is no file behind this config.
func (s staticClientConfig) RawConfig() (clientcmdapi.Config, error) {
	return *clientcmdapi.NewConfig(), nil
}

// ClientConfig returns a copy of the rest config.
func (s staticClientConfig) ClientConfig() (*rest.Config, error) {
	return rest.CopyConfig(s.config), nil
}

// Namespace returns the namespace of this view ("default" when unset).
func (s staticClientConfig) Namespace() (string, bool, error) {
	if s.namespace == "" {
		return "default", false, nil
	}
	return s.namespace, true, nil
}

// ConfigAccess returns default loading rules; nothing here writes kubeconfigs.
func (s staticClientConfig) ConfigAccess() clientcmd.ConfigAccess {
	return clientcmd.NewDefaultClientConfigLoadingRules()
}

// invalidate drops the discovery cache and the REST mapper's state, so
// that kinds added since (new CRDs) are found; the next use rediscovers.
func (g *restClientGetter) invalidate() {
	g.discovery.Invalidate()
	g.mapper.Reset()
}
