// Package apimetrics reads a kube-apiserver's own request counters
// (apiserver_request_total on /metrics), so that tests and benchmarks count
// the requests that reached the server by verb and resource, whoever made
// them.
package apimetrics

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Key is one series of apiserver_request_total, without the response code.
type Key struct {
	Verb, Group, Resource, Subresource string
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
	return k.Verb + " " + r
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

func parse(raw []byte) (Counts, error) {
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("apimetrics: parsing /metrics: %w", err)
	}
	out := Counts{}
	fam := families["apiserver_request_total"]
	if fam == nil {
		return out, nil
	}
	for _, m := range fam.GetMetric() {
		k := Key{}
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "verb":
				k.Verb = l.GetValue()
			case "group":
				k.Group = l.GetValue()
			case "resource":
				k.Resource = l.GetValue()
			case "subresource":
				k.Subresource = l.GetValue()
			}
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

// ByVerb sums the series per verb.
func (c Counts) ByVerb() map[string]float64 {
	out := map[string]float64{}
	for k, v := range c {
		out[k.Verb] += v
	}
	return out
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
