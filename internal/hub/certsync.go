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
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// WebhookConfigName is the ValidatingWebhookConfiguration the hub keeps.
const WebhookConfigName = "hotplug-hub"

// WebhookPath is where the hub serves validation of Hotplugs and Clusters.
const WebhookPath = "/validate-hotplug"

// webhookName is the hub's webhook inside WebhookConfigName.
const webhookName = "hotplugs.hub.hotplug.kubecube.io"

// Keys of the certificate Secret.
const (
	keyCA              = "ca.crt"
	keyCAKey           = "ca.key"
	keyNextCA          = "next-ca.crt"
	keyNextCAKey       = "next-ca.key"
	keyOldCA           = "old-ca.crt"
	keyTLSCert         = "tls.crt"
	keyTLSKey          = "tls.key"
	keyNextPublishedAt = "next-ca.published-at"
	keyOldRetiredAt    = "old-ca.retired-at"
)

// Keeper timing defaults.
const (
	defaultCertCheckPeriod = time.Hour
	defaultCertSettle      = 30 * time.Second
	// defaultCertGrace exceeds two check periods: every replica reloads
	// the Secret before the CA of its served certificate is dropped.
	defaultCertGrace = 2*defaultCertCheckPeriod + 10*time.Minute
)

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

// certKeeper keeps the webhook's certificate in a Secret (shared by
// replicas), on disk for the webhook server (which reloads it) and as the
// caBundle of the ValidatingWebhookConfiguration. It follows decideCerts:
// a mismatch is repaired by reissuing, and a new CA is published beside the
// old one before the served certificate switches to it.
type certKeeper struct {
	c            client.Client
	key          client.ObjectKey
	certDir      string
	hosts        []string
	clientConfig admissionv1.WebhookClientConfig
	log          logr.Logger
	policy       certPolicy
	period       time.Duration
	now          func() time.Time
}

func (k *certKeeper) defaults() {
	if k.policy.Settle <= 0 {
		k.policy.Settle = defaultCertSettle
	}
	if k.policy.Grace <= 0 {
		k.policy.Grace = defaultCertGrace
	}
	if k.period <= 0 {
		k.period = defaultCertCheckPeriod
	}
	if k.now == nil {
		k.now = time.Now
	}
}

// ensure steps the certificate state machine until it rests, publishing
// the caBundle and writing the serving certificate after every step. It
// returns when to look again.
func (k *certKeeper) ensure(ctx context.Context) (time.Duration, error) {
	k.defaults()
	for range 8 {
		sec, s, err := k.load(ctx)
		if err != nil {
			return 0, err
		}
		published, err := k.published(ctx)
		if err != nil {
			return 0, err
		}
		now := k.now()
		step, reason := decideCerts(s, published, k.hosts, now, k.policy)
		if step != stepNone && step != stepWait {
			if s, err = applyCertStep(step, s, k.hosts, now); err != nil {
				return 0, fmt.Errorf("webhook certificate: %s: %w", step, err)
			}
			if err := k.save(ctx, sec, s); err != nil {
				return 0, err
			}
			k.log.Info("webhook certificate", "step", string(step), "reason", limits.Message(reason, limits.MaxMessageBytes))
		}
		if err := writeIfChanged(filepath.Join(k.certDir, keyTLSKey), s.TLSKey); err != nil {
			return 0, err
		}
		if err := writeIfChanged(filepath.Join(k.certDir, keyTLSCert), s.TLSCert); err != nil {
			return 0, err
		}
		if err := k.register(ctx, s.caBundle()); err != nil {
			return 0, err
		}
		switch {
		case step == stepWait:
			return min(k.policy.Settle/4+time.Millisecond, k.period), nil
		case step != stepNone:
			continue
		case len(s.OldCACert) > 0:
			return min(max(k.policy.Grace-now.Sub(s.OldRetiredAt), time.Millisecond)+time.Millisecond, k.period), nil
		}
		return k.period, nil
	}
	return k.policy.Settle, nil
}

// load reads the Secret (a fresh one when absent) and its state.
func (k *certKeeper) load(ctx context.Context) (*corev1.Secret, certState, error) {
	sec := &corev1.Secret{}
	switch err := k.c.Get(ctx, k.key, sec); {
	case apierrors.IsNotFound(err):
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: k.key.Name, Namespace: k.key.Namespace}}, certState{}, nil
	case err != nil:
		return nil, certState{}, fmt.Errorf("reading webhook certificate %s: %w", k.key, err)
	}
	d := sec.Data
	s := certState{CACert: d[keyCA], CAKey: d[keyCAKey], NextCACert: d[keyNextCA], NextCAKey: d[keyNextCAKey],
		OldCACert: d[keyOldCA], TLSCert: d[keyTLSCert], TLSKey: d[keyTLSKey]}
	s.NextPublishedAt, _ = time.Parse(time.RFC3339Nano, string(d[keyNextPublishedAt]))
	s.OldRetiredAt, _ = time.Parse(time.RFC3339Nano, string(d[keyOldRetiredAt]))
	return sec, s, nil
}

// save writes s into the Secret; a conflict with another replica is an
// error, and the next look starts over from what that replica wrote.
func (k *certKeeper) save(ctx context.Context, sec *corev1.Secret, s certState) error {
	d := map[string][]byte{}
	put := func(key string, v []byte) {
		if len(v) > 0 {
			d[key] = v
		}
	}
	put(keyCA, s.CACert)
	put(keyCAKey, s.CAKey)
	put(keyNextCA, s.NextCACert)
	put(keyNextCAKey, s.NextCAKey)
	put(keyOldCA, s.OldCACert)
	put(keyTLSCert, s.TLSCert)
	put(keyTLSKey, s.TLSKey)
	if !s.NextPublishedAt.IsZero() {
		d[keyNextPublishedAt] = []byte(s.NextPublishedAt.UTC().Format(time.RFC3339Nano))
	}
	if !s.OldRetiredAt.IsZero() {
		d[keyOldRetiredAt] = []byte(s.OldRetiredAt.UTC().Format(time.RFC3339Nano))
	}
	sec.Data, sec.Type = d, corev1.SecretTypeOpaque
	var err error
	if sec.ResourceVersion == "" {
		if err = ensureNamespace(ctx, k.c, k.key.Namespace); err != nil {
			return err
		}
		err = k.c.Create(ctx, sec)
	} else {
		err = k.c.Update(ctx, sec)
	}
	if err != nil {
		return fmt.Errorf("saving webhook certificate %s: %w", k.key, err)
	}
	return nil
}

// published returns the caBundle of every webhook of the configuration as
// the API server holds it; none when the configuration does not exist.
func (k *certKeeper) published(ctx context.Context) ([][]byte, error) {
	vwc := &admissionv1.ValidatingWebhookConfiguration{}
	err := k.c.Get(ctx, client.ObjectKey{Name: WebhookConfigName}, vwc)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading webhook %s: %w", WebhookConfigName, err)
	}
	out := make([][]byte, 0, len(vwc.Webhooks))
	for _, w := range vwc.Webhooks {
		out = append(out, w.ClientConfig.CABundle)
	}
	return out, nil
}

// register creates the webhook configuration, or, when an installer (the
// Helm chart) already made it, sets the caBundle of its webhooks and the
// rules of the hub's webhook.
func (k *certKeeper) register(ctx context.Context, caBundle []byte) error {
	vwc := &admissionv1.ValidatingWebhookConfiguration{}
	err := k.c.Get(ctx, client.ObjectKey{Name: WebhookConfigName}, vwc)
	if apierrors.IsNotFound(err) {
		cc := k.clientConfig
		cc.CABundle = caBundle
		vwc = &admissionv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: WebhookConfigName},
			Webhooks: []admissionv1.ValidatingWebhook{{
				Name:                    webhookName,
				ClientConfig:            cc,
				Rules:                   webhookRules(),
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
		w := &vwc.Webhooks[i]
		if !bytes.Equal(w.ClientConfig.CABundle, caBundle) {
			w.ClientConfig.CABundle = caBundle
			changed = true
		}
		if w.Name == webhookName && !equality.Semantic.DeepEqual(w.Rules, webhookRules()) {
			w.Rules = webhookRules()
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

// Start looks at the certificate at once, then when ensure asks (hourly at
// rest, every few seconds during a rotation) until ctx ends.
func (k *certKeeper) Start(ctx context.Context) error {
	k.defaults()
	var wait time.Duration // look at once: Setup's look may have started a rotation
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		next, err := k.ensure(ctx)
		if err != nil {
			k.log.Error(bounded(err), "keeping the webhook certificate")
			next = min(10*time.Second, k.period)
		}
		wait = next
	}
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

// writeIfChanged replaces path with data atomically (a reader never sees a
// half-written file) unless it already holds data.
func writeIfChanged(path string, data []byte) error {
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, data) {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() { _ = os.Remove(f.Name()) }()
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
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
