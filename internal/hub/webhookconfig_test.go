package hub

import (
	"testing"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admissionregistration/v1"
)

// TestHubWebhookRules: the hub's webhook validates Hotplug deletions and
// Cluster deletions (both guarded), not only creations and updates.
func TestHubWebhookRules(t *testing.T) {
	w := hubWebhook(admissionv1.WebhookClientConfig{})
	if w.Name != webhookName || len(w.Rules) != 2 {
		t.Fatalf("webhook %q with %d rules", w.Name, len(w.Rules))
	}
	if got := w.Rules[0].Operations; len(got) != 3 || got[2] != admissionv1.Delete || w.Rules[0].Resources[0] != "hotplugs" {
		t.Errorf("hotplug rule operations %v lack DELETE", got)
	}
	if got := w.Rules[1].Operations; len(got) != 2 || got[1] != admissionv1.Delete || w.Rules[1].Resources[0] != "clusters" {
		t.Errorf("cluster rule operations %v lack DELETE", got)
	}
	if w.FailurePolicy == nil || *w.FailurePolicy != admissionv1.Fail {
		t.Error("the hub's webhook must fail closed")
	}
}

// TestNewCertKeeper: --webhook-url must be https with a host; without it
// the keeper is wired to the webhook Service.
func TestNewCertKeeper(t *testing.T) {
	opts := Options{WebhookURL: "http://127.0.0.1:9443"}.withDefaults()
	if _, err := newCertKeeper(fakeClient(), opts, logr.Discard()); err == nil {
		t.Error("an http --webhook-url was accepted")
	}
	for _, o := range []Options{{WebhookURL: "https://127.0.0.1:9443"}, {}} {
		if k, err := newCertKeeper(fakeClient(), o.withDefaults(), logr.Discard()); err != nil || k == nil {
			t.Errorf("options %+v: %v", o, err)
		}
	}
}
