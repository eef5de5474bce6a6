package hub

import (
	"context"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// validator is the admission handler for Hotplug objects.
type validator struct {
	clusters client.Reader
	decoder  admission.Decoder
}

func newValidator(clusters client.Reader) *validator {
	return &validator{clusters: clusters, decoder: admission.NewDecoder(kube.Scheme)}
}

// Handle validates creates and spec changes; metadata-only updates (labels,
// the hub's own annotation) pass so that an object made invalid by a
// deleted Cluster can still be tidied up.
func (v *validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	hp := &hotplugv1.Hotplug{}
	if err := v.decoder.Decode(req, hp); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if req.Operation == admissionv1.Update {
		old := &hotplugv1.Hotplug{}
		if err := v.decoder.DecodeRaw(req.OldObject, old); err == nil && equality.Semantic.DeepEqual(old.Spec, hp.Spec) {
			return admission.Allowed("")
		}
	}
	list := &clusterv1.ClusterList{}
	if err := v.clusters.List(ctx, list); err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	names := make([]string, 0, len(list.Items))
	for _, c := range list.Items {
		names = append(names, c.Name)
	}
	if err := Validate(hp, names); err != nil {
		return admission.Denied(err.Error())
	}
	return admission.Allowed("")
}
