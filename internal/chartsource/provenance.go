package chartsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"helm.sh/helm/v4/pkg/provenance"
	"helm.sh/helm/v4/pkg/registry"
)

// maxProvBytes caps a provenance file: a signed list of sums and the
// chart's metadata.
const maxProvBytes = 1 << 20

// verifyProvenance checks pkg against its Helm provenance file and
// src.Keyring: the signature must come from a key of the keyring and the
// file must name the package's sha256. The .prov is kept in the cache next
// to the package, so a cached package is checked again without a request.
func (p *Puller) verifyProvenance(ctx context.Context, src Source, creds Credentials, pkg Package) error {
	prov, fromCache, err := p.provenance(ctx, src, creds, pkg)
	if err != nil {
		return classify(err, reference(src), creds.secrets(repositoryHost(src.Repository)))
	}
	cached := p.Cache.path(pkg.Digest) + ".prov"
	// A package, provenance and keyring this process verified together
	// need no second check: reconciles look at a component often, and the
	// package's content is checked against its digest where it is loaded.
	memo := pkg.Digest + "\x00" + sum(src.Keyring) + "\x00" + sum(prov)
	if _, ok := p.verified.Load(memo); ok {
		return nil
	}
	signatory, err := keyring(p.Cache.Dir, src.Keyring)
	if err != nil {
		return &Error{Class: ErrSignature, Ref: reference(src), Detail: "the keyring: " + err.Error()}
	}
	data, err := os.ReadFile(pkg.Path)
	if err != nil {
		return err
	}
	// Helm signs the package under its file name, <name>-<version>.tgz.
	name := src.Name + "-" + pkg.Version + ".tgz"
	if _, err := signatory.Verify(data, prov, name); err != nil {
		if fromCache {
			// A re-signed package (a rotated key) is fetched again next time.
			_ = os.Remove(cached)
		}
		return &Error{Class: ErrSignature, Ref: reference(src), Detail: err.Error()}
	}
	p.verified.Store(memo, true)
	if !fromCache {
		// Kept only once it verified, so a cached package is checked again
		// without a request.
		return writeAtomic(cached, prov)
	}
	return nil
}

// provenance returns the .prov of pkg: from the cache (fromCache), else
// downloaded (capped).
func (p *Puller) provenance(ctx context.Context, src Source, creds Credentials, pkg Package) (data []byte, fromCache bool, err error) {
	if data, err := os.ReadFile(p.Cache.path(pkg.Digest) + ".prov"); err == nil {
		return data, true, nil
	}
	data, err = p.fetchProvenance(ctx, src, creds, pkg)
	return data, false, err
}

// fetchProvenance downloads the .prov of pkg.
func (p *Puller) fetchProvenance(ctx context.Context, src Source, creds Credentials, pkg Package) ([]byte, error) {
	r, err := p.resolve(ctx, Source{Repository: src.Repository, Name: src.Name, Version: pkg.Version, Insecure: src.Insecure}, creds)
	if err != nil {
		return nil, err
	}
	var data []byte
	if isOCI(src.Repository) {
		data, err = p.ociProvenance(src, creds, r)
	} else {
		hc, herr := p.httpClient(creds)
		if herr != nil {
			return nil, herr
		}
		data, err = p.get(ctx, hc, r.location+".prov", src, creds, maxProvBytes, ErrSignature)
	}
	if err != nil {
		var se *Error
		if errors.As(err, &se) && errors.Is(err, ErrNotFound) {
			return nil, &Error{Class: ErrSignature, Ref: reference(src), Detail: "the package has no provenance file (.prov): it is not signed"}
		}
		return nil, err
	}
	return data, nil
}

// ociProvenance pulls the provenance layer of r's manifest.
func (p *Puller) ociProvenance(src Source, creds Credentials, r Resolved) ([]byte, error) {
	hc, err := p.httpClient(creds)
	if err != nil {
		return nil, err
	}
	client, err := p.registryClient(src, creds, hc)
	if err != nil {
		return nil, err
	}
	var layer ocispec.Descriptor
	res, err := client.Generic().PullGeneric(r.location, registry.GenericPullOptions{
		AllowedMediaTypes: []string{ocispec.MediaTypeImageManifest, registry.ProvLayerMediaType},
		PreCopy: func(_ context.Context, d ocispec.Descriptor) error {
			if d.MediaType == registry.ProvLayerMediaType {
				if d.Size > maxProvBytes {
					return fmt.Errorf("the provenance layer is %d bytes, over %d", d.Size, maxProvBytes)
				}
				layer = d
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	if layer.Digest == "" {
		return nil, &Error{Class: ErrSignature, Ref: reference(src), Detail: "the chart's manifest has no provenance layer: it is not signed (helm push with the .prov next to the package)"}
	}
	return client.Generic().GetDescriptorData(res.MemoryStore, layer)
}

// sum is the hex sha256 of data.
func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// keyring loads an OpenPGP keyring with Helm's loader (which reads a file).
func keyring(dir string, data []byte) (*provenance.Signatory, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path, err := writeTemp(dir, ".keyring-*", data)
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.Remove(path) }()
	s, err := provenance.NewFromKeyring(filepath.Clean(path), "")
	if err != nil {
		return nil, err
	}
	if len(s.KeyRing) == 0 {
		return nil, errors.New("holds no key")
	}
	return s, nil
}
