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

// setResult is one chart set's part of the chart-set run.
type setResult struct {
	Set          chartset.Set
	Agent        agentResult
	Seq, Apply   baselineResult
	Full         bool          // the agent's run had a background, an idle period and profiles
	IdleDuration time.Duration // of the full run
}

// runCharts is part 2 (and the agent's profiles, part 4): for each chart
// set of BENCH_SETS (default heavy,light), the set installed and edited
// by the agent, one component after another and by a plain server-side
// apply, each on a fresh full simulated cluster. The first set's agent
// run also has a background measure, an idle period and profiles; the
// agent's small-set run comes once, after the sets.
func runCharts(ctx context.Context, out string) error {
	idle, err := envDuration("BENCH_IDLE", 5*time.Minute)
	if err != nil {
		return err
	}
	sets, err := benchSets()
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

	var results []setResult
	for i, set := range sets {
		r := setResult{Set: set, Full: i == 0, IdleDuration: idle}
		run := agentRun{Set: set, Log: "agent-" + string(set) + ".log"}
		if r.Full {
			run.Background, run.Idle, run.ProfDir = 30*time.Second, idle, absPath(profDir)
		}
		logf("hotplug agent, %s set", set)
		if r.Agent, err = runAgentSystem(ctx, work, chartDir, bin, run); err != nil {
			return fmt.Errorf("agent, %s set: %w (log: %s)", set, err, keepLog(work, run.Log, out))
		}
		keepLog(work, run.Log, out)
		if os.Getenv("BENCH_AGENT_ONLY") != "" {
			logf("agent, %s set: %+v", set, r.Agent)
			continue
		}
		for _, mode := range []string{modeSequential, modeApply} {
			logf("%s, %s set", mode, set)
			b, err := runBaseline(ctx, work, chartDir, mode, set, r.Full)
			if err != nil {
				return fmt.Errorf("%s, %s set: %w", mode, set, err)
			}
			if mode == modeSequential {
				r.Seq = b
			} else {
				r.Apply = b
			}
		}
		results = append(results, r)
	}
	logf("hotplug agent, %d small components", smallComponents)
	smallInstall, smallUse, err := runAgentSmall(ctx, work, chartDir, bin)
	if err != nil {
		return fmt.Errorf("agent: %w (log: %s)", err, keepLog(work, "agent-small.log", out))
	}
	logf("agent, small set: install %.1fs, peak RSS %.0f MiB", smallInstall.Seconds, smallUse.PeakRSSMiB)
	if os.Getenv("BENCH_AGENT_ONLY") != "" {
		return nil
	}
	return os.WriteFile(filepath.Join(out, "charts.md"), []byte(chartsMarkdown(results, smallInstall, smallUse)), 0o644)
}

// benchSets are the chart sets of BENCH_SETS (comma-separated; default
// every set, heavy first).
func benchSets() ([]chartset.Set, error) {
	v := os.Getenv("BENCH_SETS")
	if v == "" {
		return chartset.Sets, nil
	}
	var sets []chartset.Set
	for _, name := range strings.Split(v, ",") {
		set, err := chartset.ParseSet(strings.TrimSpace(name))
		if err != nil {
			return nil, fmt.Errorf("BENCH_SETS: %w", err)
		}
		sets = append(sets, set)
	}
	return sets, nil
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

// runBaseline runs a baseline system's install and edit of set as worker
// processes on a fresh cluster, after a background measure when
// withBackground.
func runBaseline(ctx context.Context, work, chartDir, mode string, set chartset.Set, withBackground bool) (baselineResult, error) {
	var res baselineResult
	dir := filepath.Join(work, string(set), mode)
	env, cl, err := startCluster(ctx, dir)
	if err != nil {
		return res, err
	}
	defer func() { _ = env.Stop() }()
	window := time.Duration(0)
	if withBackground {
		window = 30 * time.Second
	}
	if res.Background, err = background(ctx, cl, window); err != nil {
		return res, err
	}
	// step runs worker step n (1 install, 2 edit) and measures it.
	step := func(n int, what string) (phase, usage, error) {
		var w workerResult
		p, err := measure(ctx, cl, func() error {
			var err error
			w, err = runWorkerProcess(ctx, mode, set, cl.Kubeconfig, chartDir, n, filepath.Join(dir, fmt.Sprintf("worker-%d.log", n)))
			return err
		})
		if err != nil {
			return p, usage{}, err
		}
		p.Seconds = w.Seconds
		logf("%s, %s set: %s %.1fs", mode, set, what, w.Seconds)
		return p, w.usage, nil
	}
	res.Load = loadAverage()
	if res.Install, res.InstallUse, err = step(1, "install"); err != nil {
		return res, err
	}
	res.Edit, res.EditUse, err = step(2, "edit")
	return res, err
}
