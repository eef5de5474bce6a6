package testregistry

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// CosignSigner is a key pair that signs chart manifests in the two formats
// `cosign sign --key` writes: a Sigstore bundle attached as an OCI
// referrer (cosign v3's default) and the classic sha256-<hex>.sig tag
// (cosign v2). No transparency log is involved (--tlog-upload=false).
type CosignSigner struct {
	// PublicPEM is the public key as cosign.pub holds it.
	PublicPEM []byte

	key *sign.EphemeralKeypair
}

// NewCosignSigner makes an ECDSA P-256 key pair, as `cosign
// generate-key-pair` does.
func NewCosignSigner(t testing.TB) *CosignSigner {
	t.Helper()
	key, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.GetPublicKeyPem()
	if err != nil {
		t.Fatal(err)
	}
	return &CosignSigner{PublicPEM: []byte(pub), key: key}
}

// CosignSignBundle signs name:version's manifest as cosign v3 does: an
// in-toto statement (predicate https://sigstore.dev/cosign/sign/v1) naming
// the manifest digest, in a DSSE envelope in a Sigstore bundle, pushed as
// a referrer of the manifest.
func (r *Registry) CosignSignBundle(t testing.TB, s *CosignSigner, name, version string) {
	t.Helper()
	ctx := context.Background()
	repo, desc := r.cosignTarget(t, name, version)
	statement := fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"%s":"%s"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`,
		desc.Digest.Algorithm(), desc.Digest.Encoded())
	b, err := sign.Bundle(&sign.DSSEData{Data: statement, PayloadType: "application/vnd.in-toto+json"}, s.key, sign.BundleOptions{Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	data, err := protojson.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	const mt = "application/vnd.dev.sigstore.bundle.v0.3+json"
	layer := pushBlob(t, repo, mt, data)
	if _, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, mt, oras.PackManifestOptions{
		Subject: &desc, Layers: []ocispec.Descriptor{layer},
		ManifestAnnotations: map[string]string{"dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1"},
	}); err != nil {
		t.Fatal(err)
	}
}

// CosignSignTag signs name:version's manifest as cosign v2 does: a simple
// signing payload naming the manifest digest, its signature in the layer's
// annotation, under the tag sha256-<hex>.sig.
func (r *Registry) CosignSignTag(t testing.TB, s *CosignSigner, name, version string) {
	t.Helper()
	ctx := context.Background()
	repo, desc := r.cosignTarget(t, name, version)
	payload := fmt.Appendf(nil, `{"critical":{"identity":{"docker-reference":"%s/charts/%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}`,
		r.addr, name, desc.Digest)
	sig, _, err := s.key.SignData(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	layer := pushBlob(t, repo, "application/vnd.dev.cosign.simplesigning.v1+json", payload)
	layer.Annotations = map[string]string{"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig)}
	m, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.dev.cosign.artifact.sig.v1+json",
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx, m, desc.Digest.Algorithm().String()+"-"+desc.Digest.Encoded()+".sig"); err != nil {
		t.Fatal(err)
	}
}

// cosignTarget is the repository of charts/name, logged in, and the
// descriptor of its manifest tagged version.
func (r *Registry) cosignTarget(t testing.TB, name, version string) (*remote.Repository, ocispec.Descriptor) {
	t.Helper()
	repo, err := remote.NewRepository(r.addr + "/charts/" + name)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(r.CA.PEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	repo.Client = &auth.Client{Client: hc, Cache: auth.NewCache(),
		Credential: auth.StaticCredential(r.addr, auth.Credential{Username: Username, Password: Password})}
	desc, err := repo.Resolve(context.Background(), version)
	if err != nil {
		t.Fatalf("resolve %s:%s: %v", name, version, err)
	}
	return repo, desc
}

// pushBlob pushes data as a blob of media type mt.
func pushBlob(t testing.TB, repo *remote.Repository, mt string, data []byte) ocispec.Descriptor {
	t.Helper()
	d := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := repo.Push(context.Background(), d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return d
}
