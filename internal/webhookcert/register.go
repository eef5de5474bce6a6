package webhookcert

import (
	"bytes"
	"context"
	"fmt"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// published returns the caBundle of every webhook of the configuration as
// the API server holds it; none when the configuration does not exist.
func (k *Keeper) published(ctx context.Context) ([][]byte, error) {
	vwc := &admissionv1.ValidatingWebhookConfiguration{}
	err := k.c.Get(ctx, client.ObjectKey{Name: k.configName}, vwc)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading webhook %s: %w", k.configName, err)
	}
	out := make([][]byte, 0, len(vwc.Webhooks))
	for _, w := range vwc.Webhooks {
		out = append(out, w.ClientConfig.CABundle)
	}
	return out, nil
}

// register creates the webhook configuration with the configured webhook,
// or, when an installer (the Helm chart) already made it, sets the caBundle
// of its webhooks and the rules of the configured one.
func (k *Keeper) register(ctx context.Context, caBundle []byte) error {
	vwc := &admissionv1.ValidatingWebhookConfiguration{}
	err := k.c.Get(ctx, client.ObjectKey{Name: k.configName}, vwc)
	if apierrors.IsNotFound(err) {
		w := *k.webhook.DeepCopy()
		w.ClientConfig.CABundle = caBundle
		vwc = &admissionv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: k.configName},
			Webhooks:   []admissionv1.ValidatingWebhook{w},
		}
		if err := k.c.Create(ctx, vwc); err != nil {
			return fmt.Errorf("registering webhook %s: %w", k.configName, err)
		}
		k.log.Info("registered validating webhook", "name", k.configName)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading webhook %s: %w", k.configName, err)
	}
	changed := false
	for i := range vwc.Webhooks {
		w := &vwc.Webhooks[i]
		if !bytes.Equal(w.ClientConfig.CABundle, caBundle) {
			w.ClientConfig.CABundle = caBundle
			changed = true
		}
		if w.Name == k.webhook.Name && !equality.Semantic.DeepEqual(w.Rules, k.webhook.Rules) {
			w.Rules = k.webhook.Rules
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := k.c.Update(ctx, vwc); err != nil {
		return fmt.Errorf("setting caBundle of webhook %s: %w", k.configName, err)
	}
	return nil
}
