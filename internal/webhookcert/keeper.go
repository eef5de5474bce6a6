// Package webhookcert keeps an admission webhook's serving certificate:
// it issues a CA and a serving certificate, checks that the served one
// chains to the CA and names every host, rotates an expiring CA without a
// moment in which the API server distrusts the server, and keeps the
// caBundle of the ValidatingWebhookConfiguration in step. The decisions
// are pure (decide.go, x509.go); Keeper only reads and writes the Secret,
// the files and the webhook configuration.
package webhookcert

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// Keeper timing defaults.
const (
	defaultCertCheckPeriod = time.Hour
	defaultCertSettle      = 30 * time.Second
	// defaultCertGrace exceeds two check periods: every replica reloads
	// the Secret before the CA of its served certificate is dropped.
	defaultCertGrace = 2*defaultCertCheckPeriod + 10*time.Minute
)

// Config says what a Keeper keeps and where.
type Config struct {
	// Client reads and writes the Secret and the webhook configuration,
	// uncached.
	Client client.Client
	// Secret holds the CAs and the serving certificate, shared by every
	// replica of the webhook server.
	Secret client.ObjectKey
	// CertDir receives tls.crt and tls.key for the webhook server, which
	// reloads them when they change.
	CertDir string
	// Hosts are the names the serving certificate must carry.
	Hosts []string
	// ConfigName is the ValidatingWebhookConfiguration kept.
	ConfigName string
	// Webhook is the webhook the configuration is created with (its
	// caBundle is the keeper's); in a configuration an installer made, the
	// webhook of the same name gets its rules, and every webhook the
	// caBundle.
	Webhook admissionv1.ValidatingWebhook
	// Log receives a line per step taken.
	Log logr.Logger
}

// Keeper keeps the webhook's certificate in a Secret (shared by
// replicas), on disk for the webhook server (which reloads it) and as the
// caBundle of the ValidatingWebhookConfiguration. It follows decideCerts:
// a mismatch is repaired by reissuing, and a new CA is published beside the
// old one before the served certificate switches to it.
type Keeper struct {
	c          client.Client
	key        client.ObjectKey
	certDir    string
	hosts      []string
	configName string
	webhook    admissionv1.ValidatingWebhook
	log        logr.Logger
	policy     certPolicy
	period     time.Duration
	now        func() time.Time
}

// New returns a Keeper of cfg; Ensure makes the certificate usable once,
// Start keeps it so.
func New(cfg Config) *Keeper {
	return &Keeper{c: cfg.Client, key: cfg.Secret, certDir: cfg.CertDir, hosts: cfg.Hosts,
		configName: cfg.ConfigName, webhook: cfg.Webhook, log: cfg.Log}
}

func (k *Keeper) defaults() {
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

// Ensure steps the certificate state machine until it rests, publishing
// the caBundle and writing the serving certificate after every step. It
// returns when to look again; on return without error the files in
// CertDir hold a certificate the published caBundle trusts.
func (k *Keeper) Ensure(ctx context.Context) (time.Duration, error) {
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

// NeedLeaderElection is false: every replica serves the webhook and needs
// the certificate on its own disk.
func (k *Keeper) NeedLeaderElection() bool { return false }

// Start looks at the certificate at once, then when Ensure asks (hourly at
// rest, every few seconds during a rotation) until ctx ends; it always
// returns nil (a failed look is logged and retried).
func (k *Keeper) Start(ctx context.Context) error {
	k.defaults()
	var wait time.Duration // look at once: the caller's Ensure may have started a rotation
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		next, err := k.Ensure(ctx)
		if err != nil {
			k.log.Error(errors.New(limits.Message(err.Error(), limits.MaxMessageBytes)), "keeping the webhook certificate")
			next = min(10*time.Second, k.period)
		}
		wait = next
	}
}
