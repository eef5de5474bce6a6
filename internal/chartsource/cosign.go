package chartsource

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"helm.sh/helm/v4/pkg/registry"
)

// What cosign writes when it signs an OCI manifest, in its two formats.
const (
	// bundleMediaTypePrefix starts the media type of a Sigstore bundle:
	// cosign v3 (and v2 with --new-bundle-format) attaches one to the
	// signed manifest as an OCI referrer whose layer is the bundle, a DSSE
	// envelope of an in-toto statement naming the manifest's digest.
	bundleMediaTypePrefix = "application/vnd.dev.sigstore.bundle"
	// bundleArtifactType is the artifact type of such a referrer.
	bundleArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// cosignSignPredicate is the predicate type of cosign's signature
	// statement (an attestation of anything else is not a signature).
	cosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"
	// simpleSigningMediaType is a layer of cosign's classic signature
	// manifest (tag sha256-<hex>.sig): a "simple signing" payload naming
	// the manifest's digest, its signature in cosignSignatureAnnotation.
	simpleSigningMediaType    = "application/vnd.dev.cosign.simplesigning.v1+json"
	cosignSignatureAnnotation = "dev.cosignproject.cosign/signature"
	simpleSigningType         = "cosign container image signature"
)

// cosignEvidence is what verified a package: the manifest whose chart
// layer is the package, and one cosign signature of that manifest. Kept
// next to the package in the cache, it is verified again with no request.
type cosignEvidence struct {
	// Manifest is the chart's OCI manifest as served.
	Manifest []byte `json:"manifest"`
	// Bundle is a Sigstore bundle (cosign v3's format).
	Bundle []byte `json:"bundle,omitempty"`
	// Payload and Signature are a simple signing payload and its base64
	// signature (cosign's classic .sig tag).
	Payload   []byte `json:"payload,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// cosignVerifier loads a cosign public key (cosign.pub: PEM, as `cosign
// generate-key-pair` writes it).
func cosignVerifier(pemKey []byte) (signature.Verifier, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemKey)
	if err != nil {
		return nil, fmt.Errorf("cosign.pub is not a PEM public key: %w", err)
	}
	return signature.LoadDefaultVerifier(pub)
}

// verify checks that ev's manifest carries the package pkgDigest as its
// chart layer and that ev's signature, made with the key of v, names that
// manifest.
func (ev cosignEvidence) verify(v signature.Verifier, pkgDigest string) error {
	manifestDigest := sha256.Sum256(ev.Manifest)
	if err := manifestCarries(ev.Manifest, pkgDigest); err != nil {
		return err
	}
	if len(ev.Bundle) > 0 {
		return verifyBundle(v, ev.Bundle, manifestDigest[:])
	}
	return verifySimpleSigning(v, ev.Payload, ev.Signature, "sha256:"+hex.EncodeToString(manifestDigest[:]))
}

// manifestCarries checks that manifest names pkgDigest as its chart layer.
func manifestCarries(manifest []byte, pkgDigest string) error {
	var m ocispec.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return fmt.Errorf("the chart's manifest: %w", err)
	}
	for _, l := range m.Layers {
		if (l.MediaType == registry.ChartLayerMediaType || l.MediaType == registry.LegacyChartLayerMediaType) && l.Digest.String() == pkgDigest {
			return nil
		}
	}
	return fmt.Errorf("the signed manifest's chart layer is not the package %s", pkgDigest)
}

// verifyBundle verifies a Sigstore bundle with the public key alone (no
// transparency log or timestamp authority: what `cosign verify --key
// --insecure-ignore-tlog` checks, reaching nothing beyond the registry):
// the DSSE signature must verify and its statement be cosign's signature
// of the manifest digest.
func verifyBundle(v signature.Verifier, data, manifestDigest []byte) error {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return fmt.Errorf("the Sigstore bundle: %w", err)
	}
	key := root.NewExpiringKey(v, time.Time{}, time.Time{})
	trusted := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
	verifier, err := verify.NewVerifier(trusted, verify.WithNoObserverTimestamps())
	if err != nil {
		return err
	}
	res, err := verifier.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", manifestDigest), verify.WithKey()))
	if err != nil {
		return err
	}
	if res.Statement == nil || res.Statement.GetPredicateType() != cosignSignPredicate {
		return errors.New("the bundle is an attestation, not cosign's signature (predicate type " + cosignSignPredicate + ")")
	}
	return nil
}

// verifySimpleSigning verifies cosign's classic signature: sig (base64) of
// payload with the key, and payload naming manifestDigest.
func verifySimpleSigning(v signature.Verifier, payload []byte, sig, manifestDigest string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("the signature annotation is not base64: %w", err)
	}
	if err := v.VerifySignature(bytes.NewReader(raw), bytes.NewReader(payload)); err != nil {
		return err
	}
	var p struct {
		Critical struct {
			Image struct {
				Digest string `json:"docker-manifest-digest"`
			} `json:"image"`
			Type string `json:"type"`
		} `json:"critical"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return fmt.Errorf("the signed payload: %w", err)
	}
	if !strings.EqualFold(p.Critical.Type, simpleSigningType) {
		return fmt.Errorf("the signed payload is of type %q, not %q", p.Critical.Type, simpleSigningType)
	}
	if p.Critical.Image.Digest != manifestDigest {
		return fmt.Errorf("the signature names manifest %s, not %s", p.Critical.Image.Digest, manifestDigest)
	}
	return nil
}
