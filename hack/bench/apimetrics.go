package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// counts are request counters by a label (verb, method or resource).
type counts map[string]float64

// sub returns c - before.
func (c counts) sub(before counts) counts {
	out := counts{}
	for k, v := range c {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func (c counts) total() float64 {
	t := 0.0
	for _, v := range c {
		t += v
	}
	return t
}

// dryRun marks the API server's counters of dry-run requests.
const dryRun = "(dry run)"

// writes sums the counters of verbs or methods that change something
// (dry runs change nothing).
func (c counts) writes() float64 {
	t := 0.0
	for k, v := range c {
		if strings.HasSuffix(k, dryRun) {
			continue
		}
		switch strings.ToUpper(strings.SplitN(k, " ", 2)[0]) {
		case "GET", "LIST", "WATCH", "HEAD", "OPTIONS":
		default:
			t += v
		}
	}
	return t
}

// format prints the counters as "VERB n, ..." sorted by count, per minute
// over minutes when minutes > 0.
func (c counts) format(minutes float64) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return c[keys[i]] > c[keys[j]] || c[keys[i]] == c[keys[j]] && keys[i] < keys[j] })
	var parts []string
	for _, k := range keys {
		v := c[k]
		if minutes > 0 {
			v /= minutes
		}
		parts = append(parts, fmt.Sprintf("%s %s", k, trim(v)))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

func trim(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// apiServerRequests scrapes apiserver_request_total from the API server's
// own /metrics, summed by verb, dry runs apart.
func apiServerRequests(ctx context.Context, cfg *rest.Config) (counts, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	raw, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("scraping the API server's metrics: %w", err)
	}
	return parseCounter(string(raw), "apiserver_request_total", func(l map[string]string) string {
		k := l["verb"]
		if l["dry_run"] != "" {
			k += " " + dryRun
		}
		return k
	}), nil
}

// clientRequests scrapes client-go's rest_client_requests_total from a
// process' metrics endpoint (the agent's own requests), by method.
func clientRequests(ctx context.Context, url string) (counts, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return parseCounter(string(raw), "rest_client_requests_total", func(l map[string]string) string { return l["method"] }), nil
}

// parseCounter sums the samples of metric in Prometheus text format by key.
func parseCounter(text, metric string, key func(map[string]string) string) counts {
	out := counts{}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, metric+"{") {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err != nil {
			continue
		}
		labels := map[string]string{}
		for _, kv := range strings.Split(line[len(metric)+1:end], ",") {
			if k, val, ok := strings.Cut(kv, "="); ok {
				labels[k] = strings.Trim(val, `"`)
			}
		}
		out[key(labels)] += v
	}
	return out
}
