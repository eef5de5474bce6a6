package main

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/kubecube-io/hotplug/internal/apimetrics"
	"github.com/kubecube-io/hotplug/internal/mirror"
)

// env describes the machine and versions of the run.
func (f *fleet) env() string {
	cpu := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(line[strings.IndexByte(line, ':')+1:])
				break
			}
		}
	}
	mem := ""
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		_, _ = fmt.Sscanf(strings.SplitN(string(raw), "\n", 2)[0], "MemTotal: %f kB", &kb)
		mem = fmt.Sprintf(", %.0f GiB", kb/1024/1024)
	}
	apiVersion := "?"
	if bin, err := controlplaneBinary(); err == nil {
		if out, err := exec.Command(bin, "--version").Output(); err == nil {
			apiVersion = strings.TrimSpace(string(out))
		}
	}
	return fmt.Sprintf("%s, %d CPUs (%s%s); %s; %s; hotplug %s; %s",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), cpu, mem, runtime.Version(), apiVersion, f.commitID, runtime.GOOS+"/"+runtime.GOARCH)
}

func controlplaneBinary() (string, error) {
	dir := os.Getenv("HOTPLUG_BIN_DIR")
	if dir == "" {
		dir = "bin"
	}
	p := filepath.Join(dir, "kube-apiserver")
	_, err := os.Stat(p)
	return p, err
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)) }

// render writes the fragment: how it was measured, the table, the requests
// by verb and by series, and what dominates at the largest fleet.
func render(cfg config, env string, results []result) string {
	var b strings.Builder
	perMin := func(v float64) float64 { return v / cfg.idle.Minutes() }
	fmt.Fprintf(&b, "## Fleet: pivot + N simulated members\n\n")
	fmt.Fprintf(&b, "%s. Written by `make bench-fleet` (`go run ./hack/benchfleet`).\n\n", env)
	fmt.Fprintf(&b, "A real pivot (etcd + kube-apiserver, no controllers), the hub as its own process (`hotplug hub`; CPU and RSS from /proc), "+
		"and N simulated members in the bench process: each runs the agent's real mirror (`internal/mirror`) and reporter "+
		"(`report.Reporter`: heartbeat Lease, Cluster and own Hotplug status on change) against the pivot under its own "+
		"least-privilege identity (`access.MemberOnPivot`, a client certificate per member, client-go's default 5 QPS), "+
		"with an in-memory client for the member's own cluster and no Helm. Heartbeat interval %s (the agent's default is 30s), "+
		"idle window %s per size, after one heartbeat interval of settling; roll-up latency is from a member's new report "+
		"(one component not ready, then ready again) to common's status showing it, %d samples each, median (max). "+
		"Requests are the API server's own `apiserver_request_total` over the idle window, per minute. "+
		"The machine is shared with other work (load averages in the last column), so CPU and latency figures are upper bounds.\n\n",
		cfg.interval, cfg.idle, cfg.rounds)
	fmt.Fprintf(&b, "| members | converge, s | roll-up latency, ms: degrade / recover | hub CPU, s/min | hub RSS, MiB | kube-apiserver CPU, s/min | etcd CPU, s/min | pivot requests/min | by verb (/min) | Cluster status writes/min | load avg |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		verbs := r.requests.ByVerb()
		var vs []string
		for _, v := range slices.Sorted(maps.Keys(verbs)) {
			vs = append(vs, fmt.Sprintf("%s %.0f", v, perMin(verbs[v])))
		}
		writes := r.requests.Get("PUT", "clusters", "status") + r.requests.Get("PATCH", "clusters", "status")
		fmt.Fprintf(&b, "| %d | %.0f | %s (%s) / %s (%s) | %.3f | %.0f | %.2f | %.2f | %.0f | %s | %.1f | %s |\n",
			r.n, r.converge.Seconds(), ms(median(r.degrade)), ms(slices.Max(r.degrade)), ms(median(r.recover)), ms(slices.Max(r.recover)),
			r.hubCPU, r.hubRSS, r.apiCPU, r.etcdCPU, perMin(r.requests.Total()), strings.Join(vs, ", "), perMin(writes), r.load)
	}
	fmt.Fprintf(&b, "\nWhere the degrade latency goes, median ms: the member's part (its reporter's reads and write until the Cluster shows the report) "+
		"and the hub's (from there until common shows it, including the bench's 20 ms polling):\n\n| members | member's part | hub's part |\n|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %d | %s | %s |\n", r.n, ms(median(r.reportPart)), ms(median(r.hubPart)))
	}
	fmt.Fprintf(&b, "\nPivot requests per minute by series at rest (top 8 per size):\n\n| members | series | /min | share |\n|---|---|---|---|\n")
	for _, r := range results {
		for _, k := range r.requests.Top(8) {
			fmt.Fprintf(&b, "| %d | `%s` | %.1f | %.0f%% |\n", r.n, k, perMin(r.requests[k]), 100*r.requests[k]/r.requests.Total())
		}
	}
	if len(results) > 0 {
		last := results[len(results)-1]
		fmt.Fprintf(&b, "\n**What dominates at %d members.** %s\n", last.n, dominates(last, perMin))
		if last.retries > 0 {
			fmt.Fprintf(&b, "\nWhile registering the members, %d create requests were refused by the API server or the hub's webhook "+
				"(timed out under load) and retried.\n", last.retries)
		}
		fmt.Fprintf(&b, "\nThe members' own process (all %d simulated members: mirrors, reporters, their clients) held %.0f MiB. "+
			"Profiles of the hub at %d members: `fleet-hub-cpu.pprof` (over the idle window) and `fleet-hub-heap.pprof` (after the latency rounds), "+
			"`go tool pprof -top bench/fleet-hub-cpu.pprof`.\n", last.n, last.benchRSS, last.n)
	}
	return b.String()
}

// dominates names the largest request series at rest and what it is.
func dominates(r result, perMin func(float64) float64) string {
	top := r.requests.Top(3)
	if len(top) == 0 {
		return "no requests at rest."
	}
	var parts []string
	for _, k := range top {
		parts = append(parts, fmt.Sprintf("`%s` %.0f/min (%.0f%%, %s)", k, perMin(r.requests[k]), 100*r.requests[k]/r.requests.Total(), explain(k)))
	}
	return "Pivot requests at rest: " + strings.Join(parts, "; ") + "."
}

// explain says who makes a request series in this setup.
func explain(k apimetrics.Key) string {
	switch {
	case k.Resource == "hotplugs" && k.Verb == "GET":
		return fmt.Sprintf("the members' mirrors reading `common` and their own Hotplug past their name-scoped cache every %s while the watches are healthy: the check that a revoked grant is noticed, which a running watch does not show", mirror.HealthyProbeInterval)
	case k.Resource == "leases" && k.Verb == "PUT":
		return "heartbeat Lease renewals, one per member per interval, plus the API server's own"
	case k.Resource == "leases":
		return "Lease reads"
	case k.Resource == "clusters" && k.Subresource == "status":
		return "Cluster status writes"
	case k.Resource == "clusters" && k.Verb == "GET":
		return "the reporters' periodic check of their Cluster (every 10 intervals)"
	case k.Verb == "WATCH":
		return "watches re-established on the server's timeout"
	}
	return "other"
}
