package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubecube-io/hotplug/hack/bench/chartset"
	"github.com/kubecube-io/hotplug/internal/apimetrics"
)

// baselineResult is a baseline system's part of the chart-set run.
type baselineResult struct {
	Install, Edit       phase
	InstallUse, EditUse usage
	Background          apimetrics.Counts
	Load                string // load average when the install started
}

// runCharts is part 2 (and the agent's profiles, part 4): the chart set
// installed, edited and left idle by the agent, then installed and edited
// one component after another and by a plain server-side apply, each on a
// fresh full simulated cluster.
func runCharts(ctx context.Context, out string) error {
	idle, err := envDuration("BENCH_IDLE", 5*time.Minute)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "hotplug-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	profDir := filepath.Join(out, "profiles")
	if err := os.MkdirAll(profDir, 0o755); err != nil {
		return err
	}
	chartDir := filepath.Join(work, "charts")
	if _, err := chartset.Write(chartDir); err != nil {
		return err
	}
	bin := filepath.Join(work, "hotplug")
	logf("building bin/hotplug")
	if b, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/hotplug").CombinedOutput(); err != nil {
		return fmt.Errorf("building hotplug: %w: %s", err, b)
	}

	logf("hotplug agent")
	agent, err := runAgentSystem(ctx, work, chartDir, bin, absPath(profDir), idle)
	log := keepLog(work, "agent.log", out)
	if err != nil {
		return fmt.Errorf("agent: %w (log: %s)", err, log)
	}
	logf("hotplug agent, %d small components", smallComponents)
	smallInstall, smallUse, err := runAgentSmall(ctx, work, chartDir, bin)
	if err != nil {
		return fmt.Errorf("agent: %w (log: %s)", err, keepLog(work, "agent-small.log", out))
	}
	logf("agent, small set: install %.1fs, peak RSS %.0f MiB", smallInstall.Seconds, smallUse.PeakRSSMiB)
	results := map[string]baselineResult{}
	if os.Getenv("BENCH_AGENT_ONLY") != "" {
		logf("agent: %+v", agent)
		return nil
	}
	for _, mode := range []string{modeSequential, modeApply} {
		logf("%s", mode)
		r, err := runBaseline(ctx, work, chartDir, mode)
		if err != nil {
			return fmt.Errorf("%s: %w", mode, err)
		}
		results[mode] = r
	}
	return os.WriteFile(filepath.Join(out, "charts.md"), []byte(chartsMarkdown(agent, results[modeSequential], results[modeApply], idle, smallInstall, smallUse)), 0o644)
}

// keepLog copies a log of the work directory next to the results (as
// *.log, which git ignores), so it can be read after the work directory is
// gone.
func keepLog(work, name, out string) string {
	data, err := os.ReadFile(filepath.Join(work, name))
	if err != nil {
		return "none"
	}
	dst := filepath.Join(out, name)
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return "none"
	}
	return dst
}

// runBaseline runs a baseline system's install and edit as worker
// processes on a fresh cluster.
func runBaseline(ctx context.Context, work, chartDir, mode string) (baselineResult, error) {
	var res baselineResult
	env, cl, err := startCluster(ctx, filepath.Join(work, mode))
	if err != nil {
		return res, err
	}
	defer func() { _ = env.Stop() }()
	if res.Background, err = background(ctx, cl, 30*time.Second); err != nil {
		return res, err
	}
	// step runs worker step n (1 install, 2 edit) and measures it.
	step := func(n int, what string) (phase, usage, error) {
		var w workerResult
		p, err := measure(ctx, cl, func() error {
			var err error
			w, err = runWorkerProcess(ctx, mode, cl.Kubeconfig, chartDir, n, filepath.Join(work, fmt.Sprintf("%s-%d.log", mode, n)))
			return err
		})
		if err != nil {
			return p, usage{}, err
		}
		p.Seconds = w.Seconds
		logf("%s: %s %.1fs", mode, what, w.Seconds)
		return p, w.usage, nil
	}
	res.Load = loadAverage()
	if res.Install, res.InstallUse, err = step(1, "install"); err != nil {
		return res, err
	}
	res.Edit, res.EditUse, err = step(2, "edit")
	return res, err
}

// chartsMarkdown is the chart-set fragment of RESULTS.md.
func chartsMarkdown(a agentResult, seq, apply baselineResult, idle time.Duration, small phase, smallUse usage) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("## 2. Chart set: install, edit of two components, idle\n\n")
	w("Chart set (hack/bench/chartset): a monitoring-shaped chart (3 subcharts, 12 CRDs of ~28 KB schema each, 171 objects, a post-install hook Job, custom resources of its own CRDs), thanos-shaped (14 objects, ServiceMonitors of the monitoring chart's CRD), logseer-shaped (8 objects, pre-install hook Job), loggie-shaped (5 objects); 198 objects in all. ")
	w("Each system runs on its own fresh simulated cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok). Done means every object ready (kstatus), as the agent's `running` means. Edit changes the values of %s (every workload rolls out, hook Jobs run again).\n\n", strings.Join(chartset.Edited, " and "))
	w("| system | install, s | edit, s | peak RSS, MiB (VmHWM) | of which peak anon / file-mapped, MiB | CPU, s | load average at the install |\n|---|---|---|---|---|---|---|\n")
	mem := func(u usage) string {
		return fmt.Sprintf("%.0f | %.0f / %.0f", u.PeakRSSMiB, u.PeakAnonMiB, u.PeakFileMiB)
	}
	both := func(a, b usage) usage {
		return usage{PeakRSSMiB: max(a.PeakRSSMiB, b.PeakRSSMiB), PeakAnonMiB: max(a.PeakAnonMiB, b.PeakAnonMiB), PeakFileMiB: max(a.PeakFileMiB, b.PeakFileMiB), CPUSeconds: a.CPUSeconds + b.CPUSeconds}
	}
	w("| hotplug agent (process, all components concurrently) | %.1f | %.1f | %s | %.1f (whole run incl. idle) | %s |\n", a.Install.Seconds, a.Edit.Seconds, mem(a.Usage), a.Usage.CPUSeconds, a.Load)
	su, au := both(seq.InstallUse, seq.EditUse), both(apply.InstallUse, apply.EditUse)
	w("| one component after another (Helm through hotplug's wrapper, each waited for) | %.1f | %.1f | %s | %.1f | %s |\n", seq.Install.Seconds, seq.Edit.Seconds, mem(su), su.CPUSeconds, seq.Load)
	w("| server-side apply of the rendered objects, CRDs first (Go, `kubectl apply --server-side` equivalent, kubectl's 50/s bursts of 300) | %.1f | %.1f | %s | %.1f | %s |\n", apply.Install.Seconds, apply.Edit.Seconds, mem(au), au.CPUSeconds, apply.Load)
	w("| hotplug agent, %d small components (loggie-shaped, no edit) | %.1f | — | %s | %.1f | |\n\n", smallComponents, small.Seconds, mem(smallUse), smallUse.CPUSeconds)
	w("The file-mapped part is the binary's own pages (hotplug is one binary of about 87 MB of text: CLI, hub, agent, Helm v4 with its plugin runtime); the kernel maps it in large folios, so it is resident whether used or not, and reclaimable under pressure. The workers of the two other rows are a smaller binary (hack/bench).\n\n")
	w("The machine has 2 cores shared with other work: a high load average slows whichever system runs then, and the ratios below carry that noise.\n\n")
	w("Ratios: agent / apply: install %.2f×, edit %.2f× (target ≤ 1.3×); one-after-another / agent: install %.2f×, edit %.2f× (target ≥ 2×).\n\n",
		a.Install.Seconds/apply.Install.Seconds, a.Edit.Seconds/apply.Edit.Seconds, seq.Install.Seconds/a.Install.Seconds, seq.Edit.Seconds/a.Edit.Seconds)
	w("API server requests per minute by verb (apiserver_request_total diffs; every client, controller-manager, scheduler and kwok included — the background row is the same cluster before the system ran):\n\n")
	w("| system | phase | requests/min by verb |\n|---|---|---|\n")
	row := func(sys, ph string, p phase) {
		w("| %s | %s | %s |\n", sys, ph, format(p.API, p.Seconds/60))
	}
	w("| hotplug agent | background (30 s) | %s |\n", format(a.Background, 0.5))
	row("hotplug agent", "install", a.Install)
	row("hotplug agent", "edit", a.Edit)
	row("hotplug agent", fmt.Sprintf("idle (%s)", idle), a.Idle)
	w("| one after another | background (30 s) | %s |\n", format(seq.Background, 0.5))
	row("one after another", "install", seq.Install)
	row("one after another", "edit", seq.Edit)
	w("| apply | background (30 s) | %s |\n", format(apply.Background, 0.5))
	row("apply", "install", apply.Install)
	row("apply", "edit", apply.Edit)
	n := float64(len(chartset.Components))
	w("\nIdle (%s after the edit converged; resync period 5m): the agent's own requests (client-go's rest_client_requests_total): %s in all; ", idle, format(a.IdleClient, 0))
	w("**%.2f reads/min per component** (target < 5; LIST and GET), %.0f PATCH (dry-run applies of drift detection included: client-go does not tell them apart), **%d Helm revisions** (must be 0). ",
		(a.IdleClient.Total()-a.IdleClient.Writes())/a.IdleMinutes/n, a.IdleClient.Writes(), a.IdleRevisions)
	w("After the first minute (the edit's aftermath: the first drift check of the upgraded objects, the old pods going), %.1f minutes: %s, **%.2f reads/min per component**. ",
		a.SettledMin, format(a.SettledClient, 0), (a.SettledClient.Total()-a.SettledClient.Writes())/a.SettledMin/n)
	w("API server, every client: %s per minute; **writes (dry runs excluded) %.1f/min against %.1f/min in the background** before the agent ran (controller-manager and kwok leases).\n\n",
		format(a.Idle.API, a.IdleMinutes), a.Idle.API.Writes()/a.IdleMinutes, a.Background.Writes()/0.5)
	w("Profiles of the agent (part 4) in bench/profiles: agent-cpu.pprof (its whole run), agent-heap.pprof (after the edit converged); `go tool pprof -top bin/hotplug bench/profiles/agent-cpu.pprof`.\n")
	return b.String()
}
