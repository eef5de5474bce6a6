package chartsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
)

// Bounds of what a cosign check reads.
const (
	maxManifestBytes = 4 << 20
	maxSignatures    = 16
)

// errNoCosignSignature: the manifest has no signature in either format.
var errNoCosignSignature = errors.New("not signed with cosign")

// verifyCosign checks that pkg is the chart layer of an OCI manifest that
// src.CosignKey signed with cosign (a Sigstore bundle referrer or the
// classic sha256-<hex>.sig tag). What verified is cached next to the
// package and verified again, with no request, on every later Pull.
func (p *Puller) verifyCosign(ctx context.Context, src Source, creds Credentials, pkg Package) error {
	if !isOCI(src.Repository) {
		return &Error{Class: ErrSignature, Ref: reference(src), Detail: "cosign verifies charts in OCI registries only (use provider helm for a Helm repository)"}
	}
	v, err := cosignVerifier(src.CosignKey)
	if err != nil {
		return &Error{Class: ErrSignature, Ref: reference(src), Detail: err.Error()}
	}
	cached := p.Cache.path(pkg.Digest) + ".cosign"
	if data, err := os.ReadFile(cached); err == nil {
		memo := "cosign\x00" + pkg.Digest + "\x00" + sum(src.CosignKey) + "\x00" + sum(data)
		if _, ok := p.verified.Load(memo); ok {
			return nil
		}
		var ev cosignEvidence
		if json.Unmarshal(data, &ev) == nil && ev.verify(v, pkg.Digest) == nil {
			p.verified.Store(memo, true)
			return nil
		}
		// Signed again with another key, or damaged: ask the registry.
		_ = os.Remove(cached)
	}
	ev, err := p.fetchCosign(ctx, src, creds, pkg, v)
	if err != nil {
		return classify(err, reference(src), creds.secrets(repositoryHost(src.Repository)))
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return writeAtomic(cached, data)
}

// fetchCosign reads the manifest of pkg's tag and its cosign signatures and
// returns the first signature that verifies with v.
func (p *Puller) fetchCosign(ctx context.Context, src Source, creds Credentials, pkg Package, v signature.Verifier) (cosignEvidence, error) {
	repo, err := p.ociRepository(src, creds)
	if err != nil {
		return cosignEvidence{}, err
	}
	desc, manifest, err := oras.FetchBytes(ctx, repo, ociTag(pkg.Version), oras.FetchBytesOptions{MaxBytes: maxManifestBytes})
	if err != nil {
		return cosignEvidence{}, err
	}
	if err := manifestCarries(manifest, pkg.Digest); err != nil {
		return cosignEvidence{}, &Error{Class: ErrSignature, Ref: reference(src), Detail: err.Error() + " (the tag was pushed again)"}
	}
	candidates, err := cosignSignatures(ctx, repo, desc)
	if err != nil {
		return cosignEvidence{}, err
	}
	if len(candidates) == 0 {
		return cosignEvidence{}, &Error{Class: ErrSignature, Ref: reference(src), Detail: fmt.Sprintf(
			"%v: no Sigstore bundle refers to manifest %s and there is no tag %s (cosign sign %s@%s)",
			errNoCosignSignature, desc.Digest, sigTag(desc), ociBase(src.Repository)+"/"+src.Name, desc.Digest)}
	}
	var last error
	for _, ev := range candidates {
		ev.Manifest = manifest
		if last = ev.verify(v, pkg.Digest); last == nil {
			return ev, nil
		}
	}
	return cosignEvidence{}, &Error{Class: ErrSignature, Ref: reference(src), Detail: fmt.Sprintf(
		"none of %d cosign signature(s) of manifest %s verifies with cosign.pub: %v", len(candidates), desc.Digest, last)}
}

// cosignSignatures collects the signatures of the manifest desc: Sigstore
// bundles among its referrers, then the layers of its .sig tag.
func cosignSignatures(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor) ([]cosignEvidence, error) {
	var out []cosignEvidence
	var refs []ocispec.Descriptor
	err := repo.Referrers(ctx, desc, bundleArtifactType, func(page []ocispec.Descriptor) error {
		refs = append(refs, page...)
		if len(refs) > maxSignatures {
			refs = refs[:maxSignatures]
			return errStopReferrers
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopReferrers) && !errors.Is(err, errdef.ErrNotFound) {
		return nil, err
	}
	for _, r := range refs {
		layers, err := signatureLayers(ctx, repo, r.Digest.String())
		if err != nil {
			return nil, err
		}
		for _, l := range layers {
			if strings.HasPrefix(l.MediaType, bundleMediaTypePrefix) {
				data, err := fetchSmall(ctx, repo, l)
				if err != nil {
					return nil, err
				}
				out = append(out, cosignEvidence{Bundle: data})
			}
		}
	}
	layers, err := signatureLayers(ctx, repo, sigTag(desc))
	if err != nil && !errors.Is(err, errdef.ErrNotFound) {
		return nil, err
	}
	for _, l := range layers {
		sig, ok := l.Annotations[cosignSignatureAnnotation]
		if l.MediaType != simpleSigningMediaType || !ok {
			continue
		}
		data, err := fetchSmall(ctx, repo, l)
		if err != nil {
			return nil, err
		}
		out = append(out, cosignEvidence{Payload: data, Signature: sig})
	}
	return out, nil
}

var errStopReferrers = errors.New("enough referrers")

// signatureLayers reads the manifest ref (a digest or tag) of a signature
// and returns its first maxSignatures layers.
func signatureLayers(ctx context.Context, repo *remote.Repository, ref string) ([]ocispec.Descriptor, error) {
	_, data, err := oras.FetchBytes(ctx, repo, ref, oras.FetchBytesOptions{MaxBytes: maxManifestBytes})
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("signature manifest %s: %w", ref, err)
	}
	if len(m.Layers) > maxSignatures {
		m.Layers = m.Layers[:maxSignatures]
	}
	return m.Layers, nil
}

// fetchSmall downloads a signature blob after checking its size, verifying
// its digest.
func fetchSmall(ctx context.Context, repo *remote.Repository, d ocispec.Descriptor) ([]byte, error) {
	if d.Size > maxProvBytes {
		return nil, fmt.Errorf("signature blob %s is %d bytes, over %d", d.Digest, d.Size, maxProvBytes)
	}
	return content.FetchAll(ctx, repo.Blobs(), d)
}

// sigTag is the tag of cosign's classic signature of desc.
func sigTag(desc ocispec.Descriptor) string {
	return strings.Replace(desc.Digest.String(), ":", "-", 1) + ".sig"
}

// ociRepository is src's chart repository for oras, with the same TLS,
// deadline and host-scoped credentials as the Helm client.
func (p *Puller) ociRepository(src Source, creds Credentials) (*remote.Repository, error) {
	hc, err := p.httpClient(creds)
	if err != nil {
		return nil, err
	}
	repo, err := remote.NewRepository(ociBase(src.Repository) + "/" + src.Name)
	if err != nil {
		return nil, err
	}
	authz := p.authClient(src, creds, hc)
	repo.Client = &authz
	repo.PlainHTTP = src.Insecure
	return repo, nil
}
