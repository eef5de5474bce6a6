// Command bench is `make bench`: it measures hotplug and writes
// bench/RESULTS.md. Each part is a subcommand that writes one markdown
// fragment under the output directory; `assemble` joins the fragments
// that exist (in a fixed order) under a header naming the machine, the
// versions and the date, so another part (the fleet run) is added by
// writing its own fragment.
//
//	bench go        Go benchmarks with -benchmem  -> go.md
//	bench charts    the chart-set run             -> charts.md, profiles/
//	bench timeline  one install and upgrade of the heavy monitoring chart, phase by phase -> timeline.md
//	bench assemble  header + fragments            -> RESULTS.md
//	bench all       go, charts, timeline, assemble
//
// Environment: BENCH_OUT (default bench), BENCH_IDLE (idle period of the
// chart-set run, default 5m), BENCH_SETS (the chart sets measured, in
// order, default heavy,light: the first gets the background, idle and
// profile measures), BENCH_GO_TIME (-benchtime, default 1s),
// BENCH_AGENT_ONLY (set: the chart-set run measures the agent only and
// writes no fragment, for quick iterations), HOTPLUG_BIN_DIR (control-plane
// binaries, default ./bin).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// fragments are the parts assemble joins, in this order; a missing one is
// left out.
var fragments = []string{"go.md", "charts.md", "timeline.md", "fleet.md"}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench go|charts|timeline|assemble|all")
		os.Exit(2)
	}
	ctrllog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := envOr("BENCH_OUT", "bench")
	var err error
	switch os.Args[1] {
	case "go":
		err = runGo(ctx, out)
	case "charts":
		err = runCharts(ctx, out)
	case "timeline":
		err = runTimeline(ctx, out)
	case "assemble":
		err = assemble(ctx, out)
	case "all":
		if err = runGo(ctx, out); err == nil {
			if err = runCharts(ctx, out); err == nil {
				if err = runTimeline(ctx, out); err == nil {
					err = assemble(ctx, out)
				}
			}
		}
	case workerCommand:
		err = runWorker(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1) //nolint:gocritic // stop() ran above
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envDuration(key string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	return d, nil
}

// logf prints progress to stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
