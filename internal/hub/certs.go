package hub

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Certificate lifetimes. A serving certificate is renewed once less than a
// third of its life is left; a CA is replaced once it could no longer sign a
// full serving lifetime.
const (
	caLifetime      = 10 * 365 * 24 * time.Hour
	servingLifetime = 365 * 24 * time.Hour
)

// certState is what the hub keeps in its certificate Secret.
type certState struct {
	// CACert and CAKey sign the serving certificate.
	CACert, CAKey []byte
	// NextCACert and NextCAKey are a CA being introduced: published in the
	// caBundle beside CACert before it signs anything.
	NextCACert, NextCAKey []byte
	// OldCACert is a retired CA still trusted until replicas that have not
	// yet reloaded serve the new certificate.
	OldCACert []byte
	// TLSCert and TLSKey are the serving certificate and its key.
	TLSCert, TLSKey []byte
	// NextPublishedAt is when every webhook's caBundle was first seen
	// holding NextCACert.
	NextPublishedAt time.Time
	// OldRetiredAt is when OldCACert stopped signing.
	OldRetiredAt time.Time
}

// certPolicy times a CA rotation.
type certPolicy struct {
	// Settle is how long the next CA must have been seen in the webhook
	// configuration before the serving certificate switches to it, so that
	// every API server has loaded it.
	Settle time.Duration
	// Grace is how long the old CA stays trusted after the switch; it must
	// exceed the period at which other replicas reload the Secret.
	Grace time.Duration
}

// certStep is one step of the keeper's state machine.
type certStep string

// The keeper's steps. Only stepNone and stepWait change nothing.
const (
	stepNone            certStep = "none"
	stepWait            certStep = "wait for the webhook configuration to hold the next CA"
	stepIssueAll        certStep = "issue a CA and a serving certificate"
	stepAddNextCA       certStep = "add a next CA to the caBundle"
	stepMarkPublished   certStep = "record that the next CA is published"
	stepPromoteNextCA   certStep = "switch the serving certificate to the next CA"
	stepReissue         certStep = "reissue the serving certificate"
	stepDropOldCA       certStep = "drop the retired CA from the caBundle"
	stepReplaceBadNext  certStep = "replace an unusable next CA"
	stepMarkUnpublished certStep = "forget that a next CA was published"
)

// decideCerts is the keeper's decision: given the Secret's state, the
// caBundle of each of the hub's webhooks as the webhook configuration holds
// it (none when it does not exist), the hosts the serving certificate must
// name and the time, it returns the next step and why.
//
// The invariants it keeps: the serving certificate chains to CACert, is
// valid now and names every host; a new CA signs nothing until every
// webhook's caBundle has held it for Settle; a CA that signed the served
// certificate stays in the caBundle for Grace after the switch.
func decideCerts(s certState, published [][]byte, hosts []string, now time.Time, p certPolicy) (certStep, string) {
	caErr := checkCA(s.CACert, s.CAKey, now)
	if len(s.NextCACert) > 0 {
		if err := checkCA(s.NextCACert, s.NextCAKey, now); err != nil {
			return stepReplaceBadNext, fmt.Sprintf("next CA: %v", err)
		}
		if !allContain(published, s.NextCACert) {
			if !s.NextPublishedAt.IsZero() {
				return stepMarkUnpublished, "the webhook configuration lost the next CA"
			}
			return stepWait, "the webhook configuration does not hold the next CA yet"
		}
		if s.NextPublishedAt.IsZero() {
			return stepMarkPublished, "the webhook configuration holds the next CA"
		}
		if now.Sub(s.NextPublishedAt) < p.Settle {
			return stepWait, fmt.Sprintf("the next CA was published %s ago; switching after %s", now.Sub(s.NextPublishedAt).Round(time.Millisecond), p.Settle)
		}
		return stepPromoteNextCA, "the next CA has been published long enough"
	}
	if caErr != nil {
		if servingTrusted(s.TLSCert, published, now) {
			return stepAddNextCA, fmt.Sprintf("CA: %v; the served certificate still works, so the new CA is published first", caErr)
		}
		return stepIssueAll, fmt.Sprintf("CA: %v; nothing trusted is in service", caErr)
	}
	if err := checkServing(s, hosts, now); err != nil {
		return stepReissue, fmt.Sprintf("serving certificate: %v", err)
	}
	if len(s.OldCACert) > 0 {
		old, err := parseCert(s.OldCACert)
		if err != nil || now.Sub(s.OldRetiredAt) >= p.Grace || now.After(old.NotAfter) {
			return stepDropOldCA, "the retired CA's grace period is over"
		}
	}
	return stepNone, ""
}

// applyCertStep returns the state after step; issuing uses now.
func applyCertStep(step certStep, s certState, hosts []string, now time.Time) (certState, error) {
	var err error
	switch step {
	case stepIssueAll:
		if s.CACert, s.CAKey, err = newCA(now, caLifetime); err != nil {
			return s, err
		}
		s.NextCACert, s.NextCAKey, s.OldCACert = nil, nil, nil
		s.NextPublishedAt, s.OldRetiredAt = time.Time{}, time.Time{}
		s.TLSCert, s.TLSKey, err = issueServing(s.CACert, s.CAKey, hosts, now)
	case stepAddNextCA, stepReplaceBadNext:
		s.NextCACert, s.NextCAKey, err = newCA(now, caLifetime)
		s.NextPublishedAt = time.Time{}
	case stepMarkPublished:
		s.NextPublishedAt = now
	case stepMarkUnpublished:
		s.NextPublishedAt = time.Time{}
	case stepPromoteNextCA:
		cert, key, ierr := issueServing(s.NextCACert, s.NextCAKey, hosts, now)
		if ierr != nil {
			return s, ierr
		}
		s.OldCACert, s.OldRetiredAt = nil, now
		if _, perr := parseCert(s.CACert); perr == nil {
			s.OldCACert = s.CACert
		}
		s.CACert, s.CAKey, s.NextCACert, s.NextCAKey, s.NextPublishedAt = s.NextCACert, s.NextCAKey, nil, nil, time.Time{}
		s.TLSCert, s.TLSKey = cert, key
	case stepReissue:
		s.TLSCert, s.TLSKey, err = issueServing(s.CACert, s.CAKey, hosts, now)
	case stepDropOldCA:
		s.OldCACert, s.OldRetiredAt = nil, time.Time{}
	}
	return s, err
}

// caBundle is what clients must trust for s: the current, next and retired
// CAs.
func (s certState) caBundle() []byte {
	var out []byte
	for _, c := range [][]byte{s.CACert, s.NextCACert, s.OldCACert} {
		c = bytes.TrimSpace(c)
		if len(c) == 0 || bytes.Contains(out, c) {
			continue
		}
		out = append(append(out, c...), '\n')
	}
	return out
}

// checkCA tells why a CA cannot sign a new serving certificate: unparsable,
// not a CA, key not matching, or too close to its end for a full serving
// lifetime.
func checkCA(certPEM, keyPEM []byte, now time.Time) error {
	if len(certPEM) == 0 {
		return errors.New("missing")
	}
	c, k, err := parseCA(certPEM, keyPEM)
	if err != nil {
		return err
	}
	if !c.IsCA {
		return errors.New("not a CA certificate")
	}
	if !publicKeyEqual(c.PublicKey, k.Public()) {
		return errors.New("key does not match the certificate")
	}
	if now.Before(c.NotBefore) {
		return fmt.Errorf("not valid before %s", c.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(c.NotAfter.Add(-servingLifetime)) {
		return fmt.Errorf("expires %s, too soon to sign a serving certificate", c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkServing tells why s's serving certificate must be reissued: key not
// matching, not chaining to CACert now, not naming every host, or past two
// thirds of its life.
func checkServing(s certState, hosts []string, now time.Time) error {
	pair, err := tls.X509KeyPair(s.TLSCert, s.TLSKey)
	if err != nil {
		return fmt.Errorf("unusable key pair: %w", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return fmt.Errorf("parsing: %w", err)
	}
	ca, err := parseCert(s.CACert)
	if err != nil {
		return fmt.Errorf("CA: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return fmt.Errorf("does not verify against the CA it is published with: %w", err)
	}
	for _, h := range hosts {
		if err := leaf.VerifyHostname(h); err != nil {
			return fmt.Errorf("does not name %s", h)
		}
	}
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	if now.After(leaf.NotAfter.Add(-life / 3)) {
		return fmt.Errorf("expires %s, past two thirds of its life", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// servingTrusted tells whether the certificate verifies now against every
// published caBundle: whether the webhook works for the API server.
func servingTrusted(certPEM []byte, published [][]byte, now time.Time) bool {
	leaf, err := parseCert(certPEM)
	if err != nil || len(published) == 0 {
		return false
	}
	for _, b := range published {
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(b) {
			return false
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now}); err != nil {
			return false
		}
	}
	return true
}

// allContain tells whether every bundle holds cert.
func allContain(bundles [][]byte, certPEM []byte) bool {
	c, err := parseCert(certPEM)
	if err != nil || len(bundles) == 0 {
		return false
	}
	for _, b := range bundles {
		if !bundleHolds(b, c) {
			return false
		}
	}
	return true
}

func bundleHolds(bundle []byte, c *x509.Certificate) bool {
	for rest := bundle; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return false
		}
		if block.Type == "CERTIFICATE" && bytes.Equal(block.Bytes, c.Raw) {
			return true
		}
	}
}

// newCA makes a self-signed CA valid from an hour before now for lifetime.
func newCA(now time.Time, lifetime time.Duration) (certPEM, keyPEM []byte, err error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating webhook CA key: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "hotplug-hub-ca", SerialNumber: serial().String()},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(lifetime), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		return nil, nil, fmt.Errorf("self-signing webhook CA: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding webhook CA key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// issueServing signs a serving certificate for hosts with the CA, valid
// from an hour before now for servingLifetime or until the CA ends.
func issueServing(caPEM, caKeyPEM []byte, hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	if len(hosts) == 0 {
		return nil, nil, errors.New("no host to issue the webhook certificate for")
	}
	ca, caKey, err := parseCA(caPEM, caKeyPEM)
	if err != nil {
		return nil, nil, err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating webhook key: %w", err)
	}
	notAfter := now.Add(servingLifetime)
	if ca.NotAfter.Before(notAfter) {
		notAfter = ca.NotAfter
	}
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: now.Add(-time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, k.Public(), caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("signing webhook certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding webhook key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

func parseCert(certPEM []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(certPEM)
	if b == nil {
		return nil, errors.New("no PEM certificate")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing certificate: %w", err)
	}
	return c, nil
}

func parseCA(certPEM, keyPEM []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	c, err := parseCert(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("CA: %w", err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, errors.New("CA key: no PEM key")
	}
	k, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing CA key: %w", err)
	}
	return c, k, nil
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	ak, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ak.Equal(b)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}
