package webhookcert

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
