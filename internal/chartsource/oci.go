package chartsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"helm.sh/helm/v4/pkg/registry"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// errManifestRead stops an OCI copy once the manifest is read and the chart
// layer seen, before the layer is downloaded.
var errManifestRead = errors.New("manifest read")

// registryClient returns a Helm registry client for src that sends creds
// only to src's host, never reads a docker or Helm login of the process,
// and uses hc (TLS, deadline) for every request.
func (p *Puller) registryClient(src Source, creds Credentials, hc *http.Client) (*registry.Client, error) {
	authz := p.authClient(src, creds, hc)
	opts := []registry.ClientOption{
		registry.ClientOptHTTPClient(hc),
		registry.ClientOptAuthorizer(authz),
		registry.ClientOptWriter(io.Discard),
		registry.ClientOptCredentialsFile(filepath.Join(p.Cache.Dir, "no-login.json")),
	}
	if src.Insecure {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	return registry.NewClient(opts...)
}

// authClient authenticates to src's host only, with creds or anonymously,
// over hc.
func (p *Puller) authClient(src Source, creds Credentials, hc *http.Client) auth.Client {
	host := repositoryHost(src.Repository)
	cred := auth.EmptyCredential
	if u, pw, ok := creds.basicFor(host); ok {
		cred = auth.Credential{Username: u, Password: pw}
	}
	return auth.Client{Client: hc, Cache: auth.NewCache(), Credential: auth.StaticCredential(host, cred)}
}

// ociResolve picks the version (listing tags for a range) and reads its
// manifest for the chart layer's digest and size, downloading no blob.
func (p *Puller) ociResolve(client *registry.Client, src Source) (Resolved, error) {
	base := ociBase(src.Repository) + "/" + src.Name
	version := src.Version
	if !exactVersion(version) {
		tags, err := client.Tags(base)
		if err != nil {
			return Resolved{}, err
		}
		if version, err = pickVersion(tags, src.Version); err != nil {
			return Resolved{}, &Error{Class: ErrNotFound, Ref: reference(src), Detail: err.Error()}
		}
	}
	ref := base + ":" + ociTag(version)
	layer, _, err := p.ociCopy(client, ref, func(ocispec.Descriptor) error { return errManifestRead })
	if err != nil && !errors.Is(err, errManifestRead) {
		return Resolved{}, err
	}
	if layer.Digest == "" {
		return Resolved{}, fmt.Errorf("%s: the manifest has no chart layer", ref)
	}
	return Resolved{Version: version, Digest: layer.Digest.String(), location: ref, size: layer.Size}, nil
}

// ociDownload downloads r's chart layer after checking its size from the
// manifest against the budget.
func (p *Puller) ociDownload(client *registry.Client, src Source, r Resolved) ([]byte, error) {
	_, data, err := p.ociCopy(client, r.location, func(d ocispec.Descriptor) error {
		if d.Size > p.maxPackage() {
			return &Error{Class: ErrTooLarge, Ref: reference(src), Detail: fmt.Sprintf("the chart layer is %d bytes, over the %d-byte package budget", d.Size, p.maxPackage())}
		}
		if d.Digest.String() != r.Digest {
			return &Error{Class: ErrDigestMismatch, Ref: reference(src), Detail: fmt.Sprintf("resolved %s, the manifest now names %s", r.Digest, d.Digest)}
		}
		return nil
	})
	return data, err
}

// ociCopy copies ref's manifest and chart layer (never the config) through
// Helm's generic OCI client; check sees the chart layer's descriptor before
// it is downloaded and may refuse it. data is nil when check refused.
func (p *Puller) ociCopy(client *registry.Client, ref string, check func(ocispec.Descriptor) error) (ocispec.Descriptor, []byte, error) {
	var layer ocispec.Descriptor
	res, err := client.Generic().PullGeneric(ref, registry.GenericPullOptions{
		AllowedMediaTypes: []string{ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex,
			registry.ChartLayerMediaType, registry.LegacyChartLayerMediaType},
		PreCopy: func(_ context.Context, d ocispec.Descriptor) error {
			if d.MediaType != registry.ChartLayerMediaType && d.MediaType != registry.LegacyChartLayerMediaType {
				return nil
			}
			layer = d
			return check(d)
		},
	})
	if err != nil {
		return layer, nil, err
	}
	if layer.Digest == "" {
		return layer, nil, fmt.Errorf("%s: the manifest has no chart layer", ref)
	}
	data, err := client.Generic().GetDescriptorData(res.MemoryStore, layer)
	return layer, data, err
}
