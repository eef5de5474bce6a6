package hub

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Certificate lifetimes; a serving certificate is renewed once less than a
// third of its life is left.
const (
	caLifetime      = 10 * 365 * 24 * time.Hour
	servingLifetime = 365 * 24 * time.Hour
)

// Bundle is the webhook's PEM-encoded CA and serving certificate.
type Bundle struct {
	CACert, CAKey    []byte
	TLSCert, TLSKey  []byte
	servingNotBefore time.Time
	servingNotAfter  time.Time
	caNotAfter       time.Time
}

// NeedsRenewal tells whether b is missing, unparsable, not valid for hosts,
// or past two thirds of its serving lifetime.
func (b *Bundle) NeedsRenewal(hosts []string, now time.Time) bool {
	if b == nil || b.parse() != nil {
		return true
	}
	life := b.servingNotAfter.Sub(b.servingNotBefore)
	if now.After(b.servingNotAfter.Add(-life/3)) || now.After(b.caNotAfter.Add(-servingLifetime)) {
		return true
	}
	cert, err := tls.X509KeyPair(b.TLSCert, b.TLSKey)
	if err != nil {
		return true
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return true
	}
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			return true
		}
	}
	return false
}

func (b *Bundle) parse() error {
	for _, p := range []struct {
		data      []byte
		notBefore *time.Time
		notAfter  *time.Time
	}{{b.TLSCert, &b.servingNotBefore, &b.servingNotAfter}, {b.CACert, nil, &b.caNotAfter}} {
		block, _ := pem.Decode(p.data)
		if block == nil {
			return fmt.Errorf("no PEM certificate")
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("parsing certificate: %w", err)
		}
		if p.notBefore != nil {
			*p.notBefore = c.NotBefore
		}
		*p.notAfter = c.NotAfter
	}
	return nil
}

// Renew issues a new serving certificate for hosts, keeping the CA of prev
// when it is still good so that clients that trust it keep working.
func Renew(prev *Bundle, hosts []string, now time.Time) (*Bundle, error) {
	var caCert *x509.Certificate
	var caKey *ecdsa.PrivateKey
	out := &Bundle{}
	if prev != nil && prev.parse() == nil && now.Before(prev.caNotAfter.Add(-servingLifetime)) {
		if c, k, err := parseCA(prev.CACert, prev.CAKey); err == nil {
			caCert, caKey = c, k
			out.CACert, out.CAKey = prev.CACert, prev.CAKey
		}
	}
	if caCert == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generating webhook CA key: %w", err)
		}
		tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "hotplug-hub-ca"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(caLifetime), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
		if err != nil {
			return nil, fmt.Errorf("self-signing webhook CA: %w", err)
		}
		if caCert, err = x509.ParseCertificate(der); err != nil {
			return nil, fmt.Errorf("parsing webhook CA: %w", err)
		}
		caKey = k
		keyDER, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("encoding webhook CA key: %w", err)
		}
		out.CACert = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		out.CAKey = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating webhook key: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(servingLifetime),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, k.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("signing webhook certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding webhook key: %w", err)
	}
	out.TLSCert = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	out.TLSKey = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	return out, out.parse()
}

func parseCA(certPEM, keyPEM []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("bad CA PEM")
	}
	c, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing CA: %w", err)
	}
	k, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing CA key: %w", err)
	}
	return c, k, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

// equalPEM compares two PEM blobs.
func equalPEM(a, b []byte) bool { return bytes.Equal(bytes.TrimSpace(a), bytes.TrimSpace(b)) }
