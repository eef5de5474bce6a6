// Package apimetrics reads a kube-apiserver's own request counters
// (apiserver_request_total on /metrics), so that tests and benchmarks count
// the requests that reached the server by verb and resource, whoever made
// them.
package apimetrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Key is one series of apiserver_request_total, without the response code
// (for a client's rest_client_requests_total, only Verb: the method).
type Key struct {
	Verb, Group, Resource, Subresource string
	// DryRun marks requests the server only dry-ran: they change nothing.
	DryRun bool
}

// String is verb resource[/subresource] with the group, e.g.
// "PUT clusters.cluster.kubecube.io/status".
func (k Key) String() string {
	r := k.Resource
	if k.Group != "" {
		r += "." + k.Group
	}
	if k.Subresource != "" {
		r += "/" + k.Subresource
	}
	return k.Verb + " " + r + k.dryRun()
}

func (k Key) dryRun() string {
	if k.DryRun {
		return " (dry run)"
	}
	return ""
}

// Counts are request totals per Key.
type Counts map[Key]float64

// Scrape reads the API server's /metrics with cfg (which must be allowed
// GET /metrics, e.g. an admin) and sums apiserver_request_total over codes
// and scopes.
func Scrape(ctx context.Context, cfg *rest.Config) (Counts, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("apimetrics: client: %w", err)
	}
	raw, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("apimetrics: GET %s/metrics: %w", cfg.Host, err)
	}
	return parse(raw)
}

// ScrapeClient reads a process' Prometheus endpoint at url (e.g. the
// agent's /metrics) and sums client-go's rest_client_requests_total by
// method, as Keys with only Verb set: the requests that process made.
func ScrapeClient(ctx context.Context, url string) (Counts, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("apimetrics: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("apimetrics: GET %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxMetricsBytes))
	if err != nil {
		return nil, fmt.Errorf("apimetrics: reading %s: %w", url, err)
	}
	return parseFamily(raw, "rest_client_requests_total", clientKey)
}

// clientKey keys a client's request counter by method.
func clientKey(name, value string, k *Key) {
	if name == "method" {
		k.Verb = value
	}
}

// maxMetricsBytes bounds a scraped metrics page.
const maxMetricsBytes = 64 << 20

func parse(raw []byte) (Counts, error) {
	return parseFamily(raw, "apiserver_request_total", serverKey)
}

// serverKey keys the API server's request counter by verb, resource and
// dry run (summing codes and scopes).
func serverKey(name, value string, k *Key) {
	switch name {
	case "verb":
		k.Verb = value
	case "group":
		k.Group = value
	case "resource":
		k.Resource = value
	case "subresource":
		k.Subresource = value
	case "dry_run":
		k.DryRun = value != ""
	}
}

// parseFamily sums the counter family called metric by the Key that label
// builds from each series' labels.
func parseFamily(raw []byte, metric string, label func(name, value string, k *Key)) (Counts, error) {
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("apimetrics: parsing metrics: %w", err)
	}
	out := Counts{}
	for _, m := range families[metric].GetMetric() {
		k := Key{}
		for _, l := range m.GetLabel() {
			label(l.GetName(), l.GetValue(), &k)
		}
		out[k] += m.GetCounter().GetValue()
	}
	return out, nil
}

// Sub returns c - before, keeping only the series that grew.
func (c Counts) Sub(before Counts) Counts {
	out := Counts{}
	for k, v := range c {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// Total is the sum over every series.
func (c Counts) Total() float64 {
	t := 0.0
	for _, v := range c {
		t += v
	}
	return t
}

// ByVerb sums the series per verb, dry runs apart ("PATCH (dry run)").
func (c Counts) ByVerb() map[string]float64 {
	out := map[string]float64{}
	for k, v := range c {
		out[k.Verb+k.dryRun()] += v
	}
	return out
}

// Writes sums the requests that can change something: every verb but the
// reads, dry runs excluded.
func (c Counts) Writes() float64 {
	t := 0.0
	for k, v := range c {
		switch strings.ToUpper(k.Verb) {
		case "GET", "LIST", "WATCH", "HEAD", "OPTIONS":
		default:
			if !k.DryRun {
				t += v
			}
		}
	}
	return t
}

// Get is the count of verb on resource (group ignored) and subresource.
func (c Counts) Get(verb, resource, subresource string) float64 {
	t := 0.0
	for k, v := range c {
		if k.Verb == verb && k.Resource == resource && k.Subresource == subresource {
			t += v
		}
	}
	return t
}

// Top returns the keys by descending count (ties by name), at most n.
func (c Counts) Top(n int) []Key {
	keys := slices.Collect(maps.Keys(c))
	slices.SortFunc(keys, func(a, b Key) int {
		if c[a] != c[b] {
			if c[a] > c[b] {
				return -1
			}
			return 1
		}
		if a.String() < b.String() {
			return -1
		}
		return 1
	})
	return keys[:min(n, len(keys))]
}
