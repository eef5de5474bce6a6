package hub

import (
	"fmt"
	"net/url"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/webhookcert"
)

// WebhookConfigName is the ValidatingWebhookConfiguration the hub keeps.
const WebhookConfigName = "hotplug-hub"

// WebhookPath is where the hub serves validation of Hotplugs and Clusters.
const WebhookPath = "/validate-hotplug"

// webhookName is the hub's webhook inside WebhookConfigName.
const webhookName = "hotplugs.hub.hotplug.kubecube.io"

// webhookRules are the requests the hub validates: Hotplug writes and
// deletions (deletion of `common` is guarded) and Cluster creation (the
// name `common` is reserved).
func webhookRules() []admissionv1.RuleWithOperations {
	return []admissionv1.RuleWithOperations{{
		Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update, admissionv1.Delete},
		Rule: admissionv1.Rule{APIGroups: []string{"hotplug.kubecube.io"}, APIVersions: []string{"v1"},
			Resources: []string{"hotplugs"}, Scope: ptr.To(admissionv1.ClusterScope)},
	}, {
		// DELETE: a Cluster whose Hotplug enables components is guarded
		// (guardClusterDeletion).
		Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Delete},
		Rule: admissionv1.Rule{APIGroups: []string{"cluster.kubecube.io"}, APIVersions: []string{"v1"},
			Resources: []string{"clusters"}, Scope: ptr.To(admissionv1.ClusterScope)},
	}}
}

// newCertKeeper wires the certificate keeper for opts: the Secret
// hotplug-hub-tls in the hub's namespace, the hosts and client config of
// --webhook-url or else of the webhook Service, and the hub's webhook.
func newCertKeeper(c client.Client, opts Options, log logr.Logger) (*webhookcert.Keeper, error) {
	cfg := webhookcert.Config{Client: c, Secret: client.ObjectKey{Namespace: opts.Namespace, Name: "hotplug-hub-tls"},
		CertDir: opts.CertDir, ConfigName: WebhookConfigName, Log: log}
	var cc admissionv1.WebhookClientConfig
	if opts.WebhookURL != "" {
		u, err := url.Parse(opts.WebhookURL)
		if err != nil || u.Scheme != "https" || u.Hostname() == "" {
			return nil, fmt.Errorf("hub: --webhook-url %q must be an https URL", opts.WebhookURL)
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = WebhookPath
		}
		cfg.Hosts = []string{u.Hostname()}
		cc = admissionv1.WebhookClientConfig{URL: ptr.To(u.String())}
	} else {
		svc := opts.WebhookService
		cfg.Hosts = []string{svc + "." + opts.Namespace + ".svc", svc + "." + opts.Namespace + ".svc.cluster.local", svc}
		cc = admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{
			Namespace: opts.Namespace, Name: svc, Path: ptr.To(WebhookPath), Port: ptr.To[int32](443)}}
	}
	cfg.Webhook = hubWebhook(cc)
	return webhookcert.New(cfg), nil
}

// hubWebhook is the hub's webhook as the keeper creates it, reached at cc.
func hubWebhook(cc admissionv1.WebhookClientConfig) admissionv1.ValidatingWebhook {
	return admissionv1.ValidatingWebhook{
		Name:                    webhookName,
		ClientConfig:            cc,
		Rules:                   webhookRules(),
		FailurePolicy:           ptr.To(admissionv1.Fail),
		SideEffects:             ptr.To(admissionv1.SideEffectClassNone),
		AdmissionReviewVersions: []string{"v1"},
		TimeoutSeconds:          ptr.To[int32](10),
	}
}
