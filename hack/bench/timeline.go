package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/hack/bench/chartset"
	"github.com/kubecube-io/hotplug/internal/apimetrics"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/drift"
	"github.com/kubecube-io/hotplug/internal/health"
	"github.com/kubecube-io/hotplug/internal/helm"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// actionTimeline is one install or upgrade of the timeline part.
type actionTimeline struct {
	Action   string // install or upgrade
	Revision int
	Timeline timeline
	// SecretWrites are the API server's POST and PUT of Secrets during the
	// action (apiserver_request_total, every client): the release records
	// the storage really wrote.
	SecretWrites float64
	API          apimetrics.Counts // every request during the action
	// Ready is the agent's own wait after Helm returned: until every
	// object of the release is ready (kstatus, the agent's health.Checker).
	Ready time.Duration
}

// timelineResult is the timeline part: the chart's load, then one install
// and one upgrade.
type timelineResult struct {
	Load    time.Duration
	Actions []actionTimeline
}

// agentHelmOptions are the Helm wrapper's options as the agent builds
// them (internal/agent.Setup) with its flags' defaults: 10 revisions kept,
// no Helm wait (the agent judges health from the objects), 5m per action,
// the built-in respected managers, cluster-admin bindings refused.
func agentHelmOptions(log logr.Logger) helm.Options {
	return helm.Options{MaxHistory: 10, Wait: false, Timeout: 5 * time.Minute, Log: log, Respect: drift.RespectManagers(nil), Policy: helm.RefuseClusterAdminBindings}
}

// runTimeline is the timeline part: on a fresh simulated cluster, the
// heavy monitoring chart loaded, installed and upgraded (values of round
// 2: workloads roll, hooks run again) through the agent's Helm wrapper,
// each action's time split into phases from Helm's own log lines.
func runTimeline(ctx context.Context, out string) error {
	work, err := os.MkdirTemp("", "hotplug-timeline-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	chartDir := filepath.Join(work, "charts")
	if _, err := chartset.Write(chartDir); err != nil {
		return fmt.Errorf("writing the chart set: %w", err)
	}
	env, cl, err := startCluster(ctx, filepath.Join(work, "cluster"))
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	if _, err := background(ctx, cl, 0); err != nil { // the start-up burst passes
		return err
	}
	comp := chartset.Heavy.Components()[0]
	var res timelineResult
	start := time.Now()
	pkg, err := chartpkg.NewLoader(chartDir, limits.Limits{}).Load(comp.Pkg)
	if err != nil {
		return fmt.Errorf("loading %s: %w", comp.Pkg, err)
	}
	res.Load = time.Since(start)
	c, err := client.New(cl.Config, client.Options{Scheme: workerScheme})
	if err != nil {
		return err
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: comp.Namespace}}); err != nil {
		return fmt.Errorf("namespace %s: %w", comp.Namespace, err)
	}
	rec := &recorder{}
	h, err := helm.New(cl.Config, agentHelmOptions(rec.logger().WithName("helm")))
	if err != nil {
		return err
	}
	checker := health.NewChecker(c, c.RESTMapper())
	for round := 1; round <= 2; round++ {
		req := helm.Request{Name: comp.Name, Namespace: comp.Namespace, Chart: pkg.Chart, Values: chartset.Values(round)}
		a := actionTimeline{Action: "install"}
		if round > 1 {
			a.Action = "upgrade"
		}
		before, err := apimetrics.Scrape(ctx, cl.Config)
		if err != nil {
			return err
		}
		start := time.Now()
		var rel *helm.Release
		if round == 1 {
			rel, err = h.Install(ctx, req)
		} else {
			rel, err = h.Upgrade(ctx, req)
		}
		end := time.Now()
		if err != nil {
			return fmt.Errorf("%s of %s: %w", a.Action, comp.Name, err)
		}
		after, err := apimetrics.Scrape(ctx, cl.Config)
		if err != nil {
			return err
		}
		a.Revision, a.API = rel.Revision, after.Sub(before)
		a.SecretWrites = secretWrites(a.API)
		a.Timeline = classify(start, end, rec.since(start))
		if a.Ready, err = waitReady(ctx, checker, rel); err != nil {
			return fmt.Errorf("%s of %s: %w", a.Action, comp.Name, err)
		}
		logf("timeline: %s in %.1fs (+%.1fs until ready), %d record writes logged, %.0f written", a.Action, a.Timeline.Total.Seconds(), a.Ready.Seconds(), a.Timeline.RecordLines, a.SecretWrites)
		res.Actions = append(res.Actions, a)
	}
	if err := writeLines(filepath.Join(out, "timeline-helm.log"), rec.since(time.Time{})); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "timeline.md"), []byte(timelineMarkdown(res, readBaseline(out))), 0o644)
}

// writeLines keeps the recorded lines next to the results (as *.log,
// which git ignores), to read a phase's steps one by one.
func writeLines(path string, lines []logLine) error {
	var b strings.Builder
	for _, l := range lines {
		keys := make([]string, 0, len(l.KV))
		for k := range l.KV {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(&b, "%s %s %q", l.At.Format("15:04:05.000000"), l.Name, l.Msg)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%q", k, l.KV[k])
		}
		b.WriteString("\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("keeping Helm's log: %w", err)
	}
	return nil
}

// secretWrites counts the creates and updates of Secrets in c.
func secretWrites(c apimetrics.Counts) float64 {
	n := 0.0
	for k, v := range c {
		if k.Resource == "secrets" && k.Subresource == "" && !k.DryRun && (k.Verb == "POST" || k.Verb == "PUT") {
			n += v
		}
	}
	return n
}

// waitReady is the agent's wait after an action: its health checker run
// every 250 ms until every object of rel is ready. The agent itself is
// woken by watch events on the objects (and looks again every 10 s), so
// this is the soonest it can see them ready.
func waitReady(ctx context.Context, checker *health.Checker, rel *helm.Release) (time.Duration, error) {
	start := time.Now()
	err := poll(ctx, 250*time.Millisecond, 5*time.Minute, "release ready", func() (bool, string, error) {
		objs, err := checker.Check(ctx, rel.Manifest, rel.Namespace)
		if err != nil {
			return false, err.Error(), nil
		}
		s := health.Summarize(objs, 0, 0)
		return s.State == health.Ready, s.Message, nil
	})
	return time.Since(start), err
}
