package webhookcert

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

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

// load reads the Secret (a fresh one when absent) and its state.
func (k *Keeper) load(ctx context.Context) (*corev1.Secret, certState, error) {
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
func (k *Keeper) save(ctx context.Context, sec *corev1.Secret, s certState) error {
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

// ensureNamespace creates the Secret's namespace unless it exists.
func ensureNamespace(ctx context.Context, c client.Client, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	// A hub allowed only its own namespace gets Forbidden for an existing
	// namespace: the authorizer answers before the existence check.
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.IsForbidden(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}
