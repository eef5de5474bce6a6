package hub

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WebhookConfigName is the ValidatingWebhookConfiguration the hub keeps.
const WebhookConfigName = "hotplug-hub"

// WebhookPath is where the hub serves Hotplug validation.
const WebhookPath = "/validate-hotplug"

// certKeeper keeps the webhook's certificate in a Secret (shared by
// replicas), on disk for the webhook server (which reloads it) and as the
// caBundle of the ValidatingWebhookConfiguration, renewing it in time.
type certKeeper struct {
	c            client.Client
	key          client.ObjectKey
	certDir      string
	hosts        []string
	clientConfig admissionv1.WebhookClientConfig
	log          logr.Logger
}

// ensure renews the certificate when needed and publishes it everywhere.
func (k *certKeeper) ensure(ctx context.Context) error {
	sec := &corev1.Secret{}
	var prev *Bundle
	switch err := k.c.Get(ctx, k.key, sec); {
	case apierrors.IsNotFound(err):
		sec = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: k.key.Name, Namespace: k.key.Namespace}}
	case err != nil:
		return fmt.Errorf("reading webhook certificate %s: %w", k.key, err)
	default:
		prev = &Bundle{CACert: sec.Data["ca.crt"], CAKey: sec.Data["ca.key"], TLSCert: sec.Data["tls.crt"], TLSKey: sec.Data["tls.key"]}
	}
	b := prev
	caBundle := []byte(nil)
	if prev.NeedsRenewal(k.hosts, time.Now()) {
		next, err := Renew(prev, k.hosts, time.Now())
		if err != nil {
			return err
		}
		k.log.Info("issued webhook serving certificate", "hosts", k.hosts)
		sec.Data = map[string][]byte{"ca.crt": next.CACert, "ca.key": next.CAKey, "tls.crt": next.TLSCert, "tls.key": next.TLSKey}
		sec.Type = corev1.SecretTypeOpaque
		if sec.ResourceVersion == "" {
			if err := ensureNamespace(ctx, k.c, k.key.Namespace); err != nil {
				return err
			}
			err = k.c.Create(ctx, sec)
		} else {
			err = k.c.Update(ctx, sec)
		}
		if err != nil {
			return fmt.Errorf("saving webhook certificate %s: %w", k.key, err)
		}
		if prev != nil && !equalPEM(prev.CACert, next.CACert) {
			// Trust the old CA too until every replica serves the new certificate.
			caBundle = append(caBundle, prev.CACert...)
		}
		b = next
	}
	caBundle = append(append([]byte(nil), b.CACert...), caBundle...)
	if err := writeIfChanged(filepath.Join(k.certDir, "tls.crt"), b.TLSCert); err != nil {
		return err
	}
	if err := writeIfChanged(filepath.Join(k.certDir, "tls.key"), b.TLSKey); err != nil {
		return err
	}
	return k.register(ctx, caBundle)
}

// register creates the webhook configuration, or sets its caBundle when an
// installer (the Helm chart) already made it.
func (k *certKeeper) register(ctx context.Context, caBundle []byte) error {
	vwc := &admissionv1.ValidatingWebhookConfiguration{}
	err := k.c.Get(ctx, client.ObjectKey{Name: WebhookConfigName}, vwc)
	if apierrors.IsNotFound(err) {
		cc := k.clientConfig
		cc.CABundle = caBundle
		vwc = &admissionv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: WebhookConfigName},
			Webhooks: []admissionv1.ValidatingWebhook{{
				Name:         "hotplugs.hub.hotplug.kubecube.io",
				ClientConfig: cc,
				Rules: []admissionv1.RuleWithOperations{{
					Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
					Rule: admissionv1.Rule{APIGroups: []string{"hotplug.kubecube.io"}, APIVersions: []string{"v1"},
						Resources: []string{"hotplugs"}, Scope: ptr.To(admissionv1.ClusterScope)},
				}},
				FailurePolicy:           ptr.To(admissionv1.Fail),
				SideEffects:             ptr.To(admissionv1.SideEffectClassNone),
				AdmissionReviewVersions: []string{"v1"},
				TimeoutSeconds:          ptr.To[int32](10),
			}},
		}
		if err := k.c.Create(ctx, vwc); err != nil {
			return fmt.Errorf("registering webhook %s: %w", WebhookConfigName, err)
		}
		k.log.Info("registered validating webhook", "name", WebhookConfigName)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading webhook %s: %w", WebhookConfigName, err)
	}
	changed := false
	for i := range vwc.Webhooks {
		if !bytes.Equal(vwc.Webhooks[i].ClientConfig.CABundle, caBundle) {
			vwc.Webhooks[i].ClientConfig.CABundle = caBundle
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := k.c.Update(ctx, vwc); err != nil {
		return fmt.Errorf("setting caBundle of webhook %s: %w", WebhookConfigName, err)
	}
	return nil
}

// NeedLeaderElection is false: every replica serves the webhook and needs
// the certificate on its own disk.
func (k *certKeeper) NeedLeaderElection() bool { return false }

// Start checks the certificate hourly.
func (k *certKeeper) Start(ctx context.Context) error {
	every(ctx, time.Hour, func() {
		if err := k.ensure(ctx); err != nil {
			k.log.Error(err, "renewing webhook certificate")
		}
	})
	return nil
}

// every calls f each period until ctx ends.
func every(ctx context.Context, period time.Duration, f func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

func writeIfChanged(path string, data []byte) error {
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func ensureNamespace(ctx context.Context, c client.Client, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	// A hub allowed only its own namespace gets Forbidden for an existing
	// namespace: the authorizer answers before the existence check.
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.IsForbidden(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}
