package chartsource

import (
	"github.com/kubecube-io/hotplug/internal/testregistry"

	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// clientCert returns a self-signed certificate and its key, PEM-encoded.
func clientCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestCredentialsFromSecret: each accepted shape of a pull Secret, the
// refusals naming the key and never a value, and the .dockerconfigjson
// entry picked for the registry's host.
func TestCredentialsFromSecret(t *testing.T) {
	ca := testregistry.NewCA(t)
	cert, key := clientCert(t)
	docker := []byte(`{"auths":{"https://harbor.example.com/v1/":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("robot:tok-en:42")) + `"},` +
		`"other.example.com:5000":{"username":"u2","password":"p2"}}}`)
	cases := []struct {
		name    string
		data    map[string][]byte
		host    string
		user    string // "" for no login
		pass    string
		wantErr string
	}{
		{"basic-auth", map[string][]byte{"username": []byte("fleet"), "password": []byte("pw")}, "any", "fleet", "pw", ""},
		{"only ca.crt", map[string][]byte{"ca.crt": ca.PEM}, "harbor.example.com", "", "", ""},
		{"dockerconfig auth field", map[string][]byte{".dockerconfigjson": docker}, "harbor.example.com", "robot", "tok-en:42", ""},
		{"dockerconfig user field with port", map[string][]byte{".dockerconfigjson": docker}, "other.example.com:5000", "u2", "p2", ""},
		{"dockerconfig other host", map[string][]byte{".dockerconfigjson": docker}, "third.example.com", "", "", ""},
		{"basic beats dockerconfig", map[string][]byte{"username": []byte("a"), "password": []byte("b"), ".dockerconfigjson": docker}, "harbor.example.com", "a", "b", ""},
		{"client cert", map[string][]byte{"tls.crt": cert, "tls.key": key, "ca.crt": ca.PEM}, "x", "", "", ""},
		{"empty", map[string][]byte{}, "x", "", "", ""},
		{"password without user", map[string][]byte{"password": []byte("hunter2")}, "", "", "", "username and password"},
		{"bad dockerconfig", map[string][]byte{".dockerconfigjson": []byte(`{"auths": hunter2`)}, "", "", "", ".dockerconfigjson"},
		{"bad ca", map[string][]byte{"ca.crt": []byte("hunter2")}, "", "", "", "ca.crt"},
		{"cert without key", map[string][]byte{"tls.crt": cert}, "", "", "", "tls.key"},
		{"key not matching", map[string][]byte{"tls.crt": cert, "tls.key": []byte("hunter2")}, "", "", "", "tls.crt/tls.key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			creds, err := CredentialsFromSecret(c.data)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("got %v, want an error naming %q and no value", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, p, ok := creds.basicFor(c.host)
			if ok != (c.user != "") || u != c.user || p != c.pass {
				t.Fatalf("basicFor(%s) = %q %q %v, want %q %q", c.host, u, p, ok, c.user, c.pass)
			}
			if _, err := creds.tlsConfig(); err != nil {
				t.Fatalf("tlsConfig: %v", err)
			}
		})
	}
}
