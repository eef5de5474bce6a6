package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// KindState is whether a cluster serves the Hotplug kind. Deleting the
// Hotplug CRD deletes every Hotplug at once without admission: a reader of
// Hotplugs that sees them all gone asks this before acting on their absence.
type KindState int

// What a read of a cluster's discovery shows.
const (
	// KindUnknown: the discovery read failed; nothing is concluded.
	KindUnknown KindState = iota
	// KindServed: the cluster serves hotplugs with every verb.
	KindServed
	// KindVanished: the cluster does not serve hotplugs, or serves them
	// without create: their CRD is being deleted.
	KindVanished
)

// String names the state for logs.
func (s KindState) String() string {
	switch s {
	case KindServed:
		return "Served"
	case KindVanished:
		return "Vanished"
	default:
		return "Unknown"
	}
}

// HotplugsGroupVersion is the discovery path of the Hotplug kind.
var HotplugsGroupVersion = "/apis/" + hotplugv1.GroupVersion.Group + "/" + hotplugv1.GroupVersion.Version

// hotplugsResource is the Hotplug kind's resource name in discovery.
const hotplugsResource = "hotplugs"

// KindReader reads whether a cluster serves the Hotplug kind; the string
// says why when it is not KindServed.
type KindReader func(context.Context) (KindState, string)

// HotplugKind returns a KindReader of cfg's cluster. It reads the
// discovery document of the Hotplug kind's group version, bounded by
// timeout each time: any authenticated user may read it
// (system:discovery), so no grant is needed beyond a login.
func HotplugKind(cfg *rest.Config, timeout time.Duration) (KindReader, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client for %s: %w", cfg.Host, err)
	}
	rc := dc.RESTClient()
	return func(ctx context.Context) (KindState, string) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		raw, err := rc.Get().AbsPath(HotplugsGroupVersion).SetHeader("Accept", "application/json").Do(ctx).Raw()
		if apierrors.IsNotFound(err) {
			return KindVanished, HotplugsGroupVersion + " is not served"
		}
		if err != nil {
			return KindUnknown, err.Error()
		}
		return HotplugKindIn(raw)
	}, nil
}

// HotplugKindIn reads a discovery document (an APIResourceList) for
// hotplugs; the string says why when the kind is not served.
func HotplugKindIn(raw []byte) (KindState, string) {
	var list metav1.APIResourceList
	if err := json.Unmarshal(raw, &list); err != nil || list.GroupVersion != hotplugv1.GroupVersion.String() {
		return KindUnknown, "discovery of " + HotplugsGroupVersion + " answered something else"
	}
	for _, r := range list.APIResources {
		if r.Name != hotplugsResource {
			continue
		}
		if !slices.Contains(r.Verbs, "create") {
			return KindVanished, "hotplugs are served without create: their CRD is being deleted"
		}
		return KindServed, ""
	}
	return KindVanished, "hotplugs are not served"
}
