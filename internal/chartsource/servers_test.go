package chartsource

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"

	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"

	"github.com/kubecube-io/hotplug/internal/testcharts"
)

const (
	testUser     = "fleet"
	testPassword = "s3cret-Pa55word"
)

// testCA is a private CA and a server certificate for 127.0.0.1 it signed.
type testCA struct {
	caPEM  []byte
	server tls.Certificate
}

// newTestCA issues a CA and a 127.0.0.1 server certificate.
func newTestCA(t *testing.T) testCA {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{
		caPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		server: tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey},
	}
}

// counter wraps a handler and counts blob GETs (package downloads) and
// manifest requests.
type counter struct {
	next      http.Handler
	blobGets  atomic.Int64
	manifests atomic.Int64
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:"):
		c.blobGets.Add(1)
	case strings.Contains(r.URL.Path, "/manifests/"):
		c.manifests.Add(1)
	}
	c.next.ServeHTTP(w, r)
}

// ociRegistry is distribution's registry in-process, behind TLS from a test
// CA and htpasswd basic auth.
type ociRegistry struct {
	srv   *httptest.Server
	count *counter
	ca    testCA
	host  string
}

// startRegistry starts the registry; it stops with the test.
func startRegistry(t *testing.T) *ociRegistry {
	t.Helper()
	logrus.SetOutput(io.Discard) // the registry logs every 404 of a push at error level
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(htpasswd, fmt.Appendf(nil, "%s:%s\n", testUser, hash), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{"inmemory": configuration.Parameters{},
		"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}}}
	cfg.Auth = configuration.Auth{"htpasswd": configuration.Parameters{"realm": "test", "path": htpasswd}}
	cfg.HTTP.Secret = "test-secret"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := &counter{next: handlers.NewApp(ctx, cfg)}
	ca := newTestCA(t)
	srv := httptest.NewUnstartedServer(c)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &ociRegistry{srv: srv, count: c, ca: ca, host: strings.TrimPrefix(srv.URL, "https://")}
}

// creds are the registry's good credentials with its CA.
func (r *ociRegistry) creds() Credentials {
	return Credentials{Username: testUser, Password: testPassword, CAPEM: r.ca.caPEM}
}

// repository is the oci:// repository charts are pushed under.
func (r *ociRegistry) repository() string { return "oci://" + r.host + "/charts" }

// push packages test/charts/<src> as name-version and pushes it with
// Helm's registry client; it returns the package's sha256 digest.
func (r *ociRegistry) push(t *testing.T, src, name, version string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(dir, testcharts.Package(t, src, dir, name, version, "")))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(r.ca.caPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	client, err := registry.NewClient(registry.ClientOptHTTPClient(hc), registry.ClientOptBasicAuth(testUser, testPassword),
		registry.ClientOptCredentialsFile(filepath.Join(dir, "none.json")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Push(data, fmt.Sprintf("%s/charts/%s:%s", r.host, name, version))
	if err != nil {
		t.Fatalf("push %s %s: %v", name, version, err)
	}
	return res.Chart.Digest
}

// helmRepo is a Helm repository served over HTTPS from a directory whose
// index.yaml Helm's IndexDirectory writes (what `helm repo index` writes).
type helmRepo struct {
	srv  *httptest.Server
	dir  string
	ca   testCA
	gets atomic.Int64
}

// startHelmRepo serves an empty repository over TLS from a test CA.
func startHelmRepo(t *testing.T) *helmRepo {
	t.Helper()
	h := &helmRepo{dir: t.TempDir(), ca: newTestCA(t)}
	files := http.FileServer(http.Dir(h.dir))
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".tgz") {
			h.gets.Add(1)
		}
		files.ServeHTTP(w, r)
	}))
	h.srv.TLS = &tls.Config{Certificates: []tls.Certificate{h.ca.server}, MinVersion: tls.VersionTLS12}
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	return h
}

// publish packages name-version into the directory and rewrites
// index.yaml; it returns the package's digest.
func (h *helmRepo) publish(t *testing.T, name, version string) string {
	t.Helper()
	testcharts.Package(t, "configmap", h.dir, name, version, "")
	idx, err := repo.IndexDirectory(h.dir, h.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	idx.SortEntries()
	if err := idx.WriteFile(filepath.Join(h.dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	cv, err := idx.Get(name, version)
	if err != nil {
		t.Fatal(err)
	}
	return "sha256:" + cv.Digest
}
