// Package testregistry runs, for tests, the chart sources hotplug pulls
// from: distribution's OCI registry in-process behind TLS from a test CA and
// htpasswd basic auth, and a Helm repository served over HTTPS from a
// directory whose index.yaml Helm's IndexDirectory writes. Both count the
// package downloads they serve, and the registry can be stopped and started
// again on the same address with its content.
package testregistry

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

// The registry's login.
const (
	Username = "fleet"
	Password = "s3cret-Pa55word"
)

// CA is a private CA and a server certificate for 127.0.0.1 it signed.
type CA struct {
	// PEM is the CA certificate, what a Secret's ca.crt holds.
	PEM    []byte
	server tls.Certificate
}

// ServerCertificate is the 127.0.0.1 certificate the CA signed.
func (c CA) ServerCertificate() tls.Certificate { return c.server }

// NewCA issues a CA and a 127.0.0.1 server certificate.
func NewCA(t testing.TB) CA {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return CA{
		PEM:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		server: tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey},
	}
}

// Registry is distribution's registry in-process, behind TLS from a test
// CA and htpasswd basic auth, storing in memory.
type Registry struct {
	// CA signed the registry's certificate.
	CA CA
	// BlobGets counts blob downloads (packages and configs); Manifests
	// counts manifest requests.
	BlobGets, Manifests atomic.Int64

	app  http.Handler
	addr string
	srv  *httptest.Server
}

// ServeHTTP counts and serves.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch {
	case req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/sha256:"):
		r.BlobGets.Add(1)
	case strings.Contains(req.URL.Path, "/manifests/"):
		r.Manifests.Add(1)
	}
	r.app.ServeHTTP(w, req)
}

// Start starts a registry; it stops with the test.
func Start(t testing.TB) *Registry {
	t.Helper()
	logrus.SetOutput(io.Discard) // the registry logs every 404 of a push at error level
	hash, err := bcrypt.GenerateFromPassword([]byte(Password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(htpasswd, fmt.Appendf(nil, "%s:%s\n", Username, hash), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &configuration.Configuration{}
	cfg.Storage = configuration.Storage{"inmemory": configuration.Parameters{},
		"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}}}
	cfg.Auth = configuration.Auth{"htpasswd": configuration.Parameters{"realm": "test", "path": htpasswd}}
	cfg.HTTP.Secret = "test-secret"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r := &Registry{app: handlers.NewApp(ctx, cfg), CA: NewCA(t)}
	r.listen(t, "127.0.0.1:0")
	t.Cleanup(r.Stop)
	return r
}

// listen serves on addr.
func (r *Registry) listen(t testing.TB, addr string) {
	t.Helper()
	var l net.Listener
	var err error
	for range 50 { // the old socket may linger a moment after Stop
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("registry: listen on %s: %v", addr, err)
	}
	r.srv = httptest.NewUnstartedServer(r)
	r.srv.Listener = l
	r.srv.TLS = &tls.Config{Certificates: []tls.Certificate{r.CA.server}, MinVersion: tls.VersionTLS12}
	r.srv.StartTLS()
	r.addr = l.Addr().String()
}

// Stop stops serving; the content stays for Restart.
func (r *Registry) Stop() {
	if r.srv != nil {
		r.srv.CloseClientConnections()
		r.srv.Close()
		r.srv = nil
	}
}

// Restart serves the same content on the same address again.
func (r *Registry) Restart(t testing.TB) {
	t.Helper()
	r.Stop()
	r.listen(t, r.addr)
}

// Host is host:port of the registry.
func (r *Registry) Host() string { return r.addr }

// Repository is the oci:// repository charts are pushed under.
func (r *Registry) Repository() string { return "oci://" + r.addr + "/charts" }

// Push packages test/charts/<src> as name-version and pushes it with
// Helm's registry client; it returns the package's sha256 digest.
func (r *Registry) Push(t testing.TB, src, name, version string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(dir, testcharts.Package(t, src, dir, name, version, "")))
	if err != nil {
		t.Fatal(err)
	}
	return r.PushPackage(t, data, name, version)
}

// PushPackage pushes a packaged chart as name:version.
func (r *Registry) PushPackage(t testing.TB, data []byte, name, version string) string {
	t.Helper()
	return r.push(t, data, name, version, nil)
}

// push pushes a package, with its provenance when prov is not nil.
func (r *Registry) push(t testing.TB, data []byte, name, version string, prov []byte) string {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(r.CA.PEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	client, err := registry.NewClient(registry.ClientOptHTTPClient(hc), registry.ClientOptBasicAuth(Username, Password),
		registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "none.json")))
	if err != nil {
		t.Fatal(err)
	}
	var opts []registry.PushOption
	if prov != nil {
		opts = append(opts, registry.PushOptProvData(prov))
	}
	res, err := client.Push(data, fmt.Sprintf("%s/charts/%s:%s", r.addr, name, version), opts...)
	if err != nil {
		t.Fatalf("push %s %s: %v", name, version, err)
	}
	return res.Chart.Digest
}

// HelmRepo is a Helm repository served over HTTPS from a directory whose
// index.yaml Helm's IndexDirectory writes (what `helm repo index` writes).
type HelmRepo struct {
	// Dir is the served directory; URL its https:// address.
	Dir, URL string
	// CA signed the server's certificate.
	CA CA
	// Gets counts package downloads.
	Gets atomic.Int64

	srv *httptest.Server
}

// StartHelmRepo serves an empty repository over TLS from a test CA; it
// stops with the test.
func StartHelmRepo(t testing.TB) *HelmRepo {
	t.Helper()
	h := &HelmRepo{Dir: t.TempDir(), CA: NewCA(t)}
	files := http.FileServer(http.Dir(h.Dir))
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".tgz") {
			h.Gets.Add(1)
		}
		files.ServeHTTP(w, r)
	}))
	h.srv.TLS = &tls.Config{Certificates: []tls.Certificate{h.CA.server}, MinVersion: tls.VersionTLS12}
	h.srv.StartTLS()
	h.URL = h.srv.URL
	t.Cleanup(h.srv.Close)
	return h
}

// Publish packages test/charts/configmap as name-version into the
// directory and rewrites index.yaml; it returns the package's digest.
func (h *HelmRepo) Publish(t testing.TB, name, version string) string {
	t.Helper()
	testcharts.Package(t, "configmap", h.Dir, name, version, "")
	idx, err := repo.IndexDirectory(h.Dir, h.URL)
	if err != nil {
		t.Fatal(err)
	}
	idx.SortEntries()
	if err := idx.WriteFile(filepath.Join(h.Dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	cv, err := idx.Get(name, version)
	if err != nil {
		t.Fatal(err)
	}
	return "sha256:" + cv.Digest
}
