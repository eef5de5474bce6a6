package chartsource

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// repoResolve reads the repository's index.yaml (capped) with Helm's index
// loader and picks the version; the digest is the index's, "" when the
// index has none.
func (p *Puller) repoResolve(ctx context.Context, hc *http.Client, src Source, creds Credentials) (Resolved, error) {
	indexURL := strings.TrimSuffix(src.Repository, "/") + "/index.yaml"
	data, err := p.get(ctx, hc, indexURL, src, creds, p.maxIndex(), ErrIndexTooLarge)
	if err != nil {
		return Resolved{}, err
	}
	idx, err := loadIndex(p.Cache.Dir, data)
	if err != nil {
		return Resolved{}, fmt.Errorf("chart %s: index.yaml: %w", reference(src), err)
	}
	entries := idx.Entries[src.Name]
	versions := make([]string, 0, len(entries))
	for _, cv := range entries {
		versions = append(versions, cv.Version)
	}
	version, err := pickVersion(versions, src.Version)
	if err != nil {
		return Resolved{}, &Error{Class: ErrNotFound, Ref: reference(src), Detail: err.Error()}
	}
	for _, cv := range entries {
		if cv.Version != version || len(cv.URLs) == 0 {
			continue
		}
		loc, err := repo.ResolveReferenceURL(src.Repository, cv.URLs[0])
		if err != nil {
			return Resolved{}, fmt.Errorf("chart %s: package URL: %w", reference(src), err)
		}
		r := Resolved{Version: version, location: loc}
		if cv.Digest != "" {
			r.Digest = "sha256:" + strings.TrimPrefix(cv.Digest, "sha256:")
		}
		return r, nil
	}
	return Resolved{}, &Error{Class: ErrNotFound, Ref: reference(src), Detail: "version " + version + " has no package URL"}
}

// loadIndex parses index.yaml with Helm's loader (which reads a file).
func loadIndex(dir string, data []byte) (*repo.IndexFile, error) {
	path, err := writeTemp(dir, ".index-*.yaml", data)
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.Remove(path) }()
	return repo.LoadIndexFile(path)
}

// get reads one URL under its own deadline, sending creds only to the
// repository's host, and refuses a body over limit (by Content-Length
// before reading, else after limit+1 bytes) with tooLarge.
func (p *Puller) get(ctx context.Context, hc *http.Client, loc string, src Source, creds Credentials, limit int64, tooLarge error) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, http.NoBody)
	if err != nil {
		return nil, err
	}
	host := repositoryHost(src.Repository)
	if u, err := url.Parse(loc); err == nil && u.Host == host {
		if user, pass, ok := creds.basicFor(host); ok {
			req.SetBasicAuth(user, pass)
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, &Error{Class: ErrUnauthorized, Ref: reference(src), Detail: "HTTP " + resp.Status + " for " + loc}
	case resp.StatusCode == http.StatusNotFound:
		return nil, &Error{Class: ErrNotFound, Ref: reference(src), Detail: loc}
	case resp.StatusCode >= 500:
		return nil, &Error{Class: ErrUnreachable, Ref: reference(src), Detail: "HTTP " + resp.Status + " for " + loc}
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET %s: HTTP %s", loc, resp.Status)
	case resp.ContentLength > limit:
		return nil, &Error{Class: tooLarge, Ref: reference(src), Detail: fmt.Sprintf("%s is %d bytes, over the %d-byte cap", loc, resp.ContentLength, limit)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &Error{Class: tooLarge, Ref: reference(src), Detail: fmt.Sprintf("%s is over the %d-byte cap", loc, limit)}
	}
	return data, nil
}
