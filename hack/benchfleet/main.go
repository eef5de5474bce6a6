// Command benchfleet is part 3 of `make bench` (`make bench-fleet`): a real
// pivot (etcd + kube-apiserver), the hub as its own process, and N
// simulated members (the agent's real mirror and reporter, each under its
// own least-privilege identity, no Helm) for N = 10, 50 and 200. For each N
// it measures the roll-up latency after one member changes its report, the
// hub's CPU and RSS, and the pivot API server's requests per minute over an
// idle window, and writes the markdown fragment bench/fleet.md with the hub's
// CPU and heap profiles beside it.
//
// Environment: HOTPLUG_BENCH_FLEET_SIZES (default "10,50,200"),
// HOTPLUG_BENCH_FLEET_IDLE (idle window per size, default 2m),
// HOTPLUG_BENCH_FLEET_INTERVAL (heartbeat interval, default 30s, the
// agent's), HOTPLUG_BENCH_FLEET_ROUNDS (latency samples per direction,
// default 5), HOTPLUG_BENCH_FLEET_OUT (default bench/fleet.md),
// HOTPLUG_BENCH_FLEET_ROLLOUT_ENV_KIB (env KiB per component of a last,
// Progressive phase at the largest size: `common` made Progressive, every
// cluster assigned, one more edit rolling out for the idle window; the
// hub's CPU, RSS and heap and the pivot's answers for ControllerRevisions
// and Secrets; default 0, no such phase).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
)

// config is what the environment sets.
type config struct {
	sizes    []int
	idle     time.Duration
	interval time.Duration
	rounds   int
	out      string
}

func loadConfig() (config, error) {
	c := config{sizes: []int{10, 50, 200}, idle: 2 * time.Minute, interval: 30 * time.Second, rounds: 5, out: "bench/fleet.md"}
	if v := os.Getenv("HOTPLUG_BENCH_FLEET_SIZES"); v != "" {
		c.sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 || (len(c.sizes) > 0 && n <= c.sizes[len(c.sizes)-1]) {
				return c, fmt.Errorf("HOTPLUG_BENCH_FLEET_SIZES=%q: want increasing positive integers", v)
			}
			c.sizes = append(c.sizes, n)
		}
	}
	for env, d := range map[string]*time.Duration{"HOTPLUG_BENCH_FLEET_IDLE": &c.idle, "HOTPLUG_BENCH_FLEET_INTERVAL": &c.interval} {
		if v := os.Getenv(env); v != "" {
			p, err := time.ParseDuration(v)
			if err != nil || p <= 0 {
				return c, fmt.Errorf("%s=%q: want a positive duration", env, v)
			}
			*d = p
		}
	}
	if v := os.Getenv("HOTPLUG_BENCH_FLEET_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("HOTPLUG_BENCH_FLEET_ROUNDS=%q: want a positive integer", v)
		}
		c.rounds = n
	}
	if v := os.Getenv("HOTPLUG_BENCH_FLEET_OUT"); v != "" {
		c.out = v
	}
	return c, nil
}

func main() {
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchfleet:", err)
		os.Exit(2)
	}
	// client-go and controller-runtime log through these; the bench reports
	// its own progress.
	ctrl.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchfleet:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	f, err := startFleet(ctx, cfg)
	if err != nil {
		return err
	}
	defer f.stop()
	var results []result
	for i, n := range cfg.sizes {
		r, err := f.measure(ctx, n, i == len(cfg.sizes)-1)
		if err != nil {
			return err
		}
		results = append(results, r)
		logf("N=%d: roll-up %s / %s, hub %.2f CPU s/min, %.0f MiB, pivot %.0f requests/min", n,
			median(r.degrade), median(r.recover), r.hubCPU, r.hubRSS, r.requests.Total()/cfg.idle.Minutes())
	}
	md := render(cfg, f.env(), results)
	if kib := rolloutEnvKiB(); kib > 0 {
		r, err := f.rollout(ctx, cfg.sizes[len(cfg.sizes)-1], kib)
		if err != nil {
			return err
		}
		section := renderRollout(r, cfg.idle)
		logf("rollout:%s", section)
		md += section
	}
	if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(cfg.out), err)
	}
	if err := os.WriteFile(cfg.out, []byte(md), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", cfg.out, err)
	}
	logf("wrote %s", cfg.out)
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s benchfleet: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
