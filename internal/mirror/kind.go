package mirror

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// AnnotationKindVanished, "true" on a mirror, holds it: its source was
// last seen gone together with the Hotplug kind on the pivot (the CRD
// deleted or being deleted, which deletes every Hotplug at once without
// admission). A held mirror is not deleted for its source's absence; it is
// released when the source is seen again (the mirror is then applied
// from it), or by deleting the mirror by hand.
const AnnotationKindVanished = "hotplug.kubecube.io/source-kind-vanished"

// KindState is whether the pivot serves the Hotplug kind.
type KindState int

// What a read of the pivot's discovery shows.
const (
	// KindUnknown: the discovery read failed; nothing is concluded.
	KindUnknown KindState = iota
	// KindServed: the pivot serves hotplugs with every verb.
	KindServed
	// KindVanished: the pivot does not serve hotplugs, or serves them
	// without create: their CRD is being deleted.
	KindVanished
)

// guardKind adjusts decideMirror's decision d for the source's kind, so
// that a member never uninstalls because the Hotplug kind vanished on the
// pivot. A held mirror is kept while its source is absent (an Apply, or an
// unsynced source that exists again, proceed). A Delete, and an answer
// that says the kind is not served (KindUnserved) for a mirrored source,
// ask kind (called only then): KindServed lets a Delete go ahead,
// KindVanished holds the mirror, KindUnknown keeps it and restarts the
// confirmation.
func guardKind(d Decision, obs Observation, mirrored, held bool, kind func() KindState) Decision {
	if held && obs.Source == SourceNotFound {
		return Decision{Action: Keep}
	}
	if d.Action != Delete && (!mirrored || held || !obs.KindUnserved) {
		return d
	}
	switch kind() {
	case KindServed:
		return d
	case KindVanished:
		return Decision{Action: Hold}
	default:
		return Decision{Action: Keep}
	}
}

// hotplugsGroupVersion is the discovery path of the Hotplug kind.
var hotplugsGroupVersion = "/apis/" + hotplugv1.GroupVersion.Group + "/" + hotplugv1.GroupVersion.Version

// discoverKind returns a reader of the pivot's discovery document for the
// Hotplug kind's group version: any authenticated user may read it
// (system:discovery), so a member needs no further grant.
func discoverKind(cfg *rest.Config) (func(context.Context) (KindState, string), error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client for the pivot: %w", err)
	}
	rc := dc.RESTClient()
	return func(ctx context.Context) (KindState, string) {
		ctx, cancel := context.WithTimeout(ctx, readTimeout)
		defer cancel()
		raw, err := rc.Get().AbsPath(hotplugsGroupVersion).SetHeader("Accept", "application/json").Do(ctx).Raw()
		if apierrors.IsNotFound(err) {
			return KindVanished, hotplugsGroupVersion + " is not served"
		}
		if err != nil {
			return KindUnknown, err.Error()
		}
		return kindIn(raw)
	}, nil
}

// kindIn reads a discovery document (an APIResourceList) for hotplugs.
func kindIn(raw []byte) (KindState, string) {
	var list metav1.APIResourceList
	if err := json.Unmarshal(raw, &list); err != nil || list.GroupVersion != hotplugv1.GroupVersion.String() {
		return KindUnknown, "discovery of " + hotplugsGroupVersion + " answered something else"
	}
	for _, r := range list.APIResources {
		if r.Name != hotplugs.Resource {
			continue
		}
		if !slices.Contains(r.Verbs, "create") {
			return KindVanished, "hotplugs are served without create: their CRD is being deleted"
		}
		return KindServed, ""
	}
	return KindVanished, "hotplugs are not served"
}
