package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// timelineMarkdown is the timeline fragment of RESULTS.md; baseline is
// the server-side apply row of the chart-set run ("" when there is none).
func timelineMarkdown(res timelineResult, baseline string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("## Timeline: one install and one upgrade of the heavy monitoring chart\n\n")
	w("Where each second of one install and one upgrade of the heavy set's monitoring chart goes (`go run ./hack/bench timeline`; issue 21). ")
	w("A fresh simulated cluster as in the chart-set run (etcd, kube-apiserver, controller-manager, scheduler, kwok completing the hook Jobs' pods); ")
	w("the chart loaded by the agent's loader, then installed and upgraded (values of round 2: every workload rolls, the hooks run again) through hotplug's Helm wrapper with the agent's options ")
	w("(no Helm wait, the agent judges health from the objects; 5m per action; respected managers; cluster-admin bindings refused). ")
	w("The phases come from the Helm SDK's own log lines (recorded with their time through the wrapper's logger): the time from one step's line to the next step's line is the first step's. ")
	w("Steps are the requests of Helm the log shows in the phase (one per CRD, hook object, record write asked for; the release's objects count once).\n\n")
	for _, a := range res.Actions {
		actionTable(w, res.Load, a)
	}
	w("How a hook Job's completion is noticed: Helm's status watcher (`WatchUntilReady`, helm.sh/helm/v4 v4.3.1 `pkg/kube/statuswait.go`) builds a kstatus `DefaultStatusWatcher` (fluxcd/cli-utils `pkg/kstatus/watcher`) per hook, whose informer LISTs and then WATCHes the hook's kind in its namespace (resync 3 min); ")
	w("each event recomputes the Job's status (Helm's own Job status reader: Current once it succeeded) and the wait ends on the event that makes it Current. A watch, not a poll: the Job wait is kwok starting and completing the pod plus the Job controller's status update. ")
	w("Each hook object gets its own watcher, so even a ServiceAccount's wait (ready at once) costs a LIST and a WATCH, 10 to 30 ms. ")
	w("The deletes by policy are not waited for with the agent's options (Helm's hook-only waiter returns from WaitForDelete at once); with Helm's wait (`Options.Wait`, as TestHeavyMonitoringInstallsAndUpgrades runs) the same watcher waits for NotFound after each, about 0.1 s even when there was nothing to delete, 24 times per action (2.4 s). ")
	w("In an upgrade, the wrapper reads the field managers of every live object before Helm's update (respectingKube: one metadata GET each, sequential); that row is timed from the wrapper's own line.\n\n")
	w("The release record: Helm logs `creating release` or `updating release` for every write it asks its storage for; hotplug's storage (internal/helm `storage.go`) does not write an update that only records a hook's progress. ")
	w("Written is what the API server counted (apiserver_request_total, POST and PUT of Secrets during the action, every client: in this cluster only the release storage writes Secrets).\n\n")
	if baseline != "" {
		w("Compared baseline, bench/charts.md: %s. That row is the whole heavy set (four charts, 188 objects; its edit changes two of them) applied and waited for, not this one chart, so it bounds what the monitoring chart alone can cost by server-side apply.\n", baseline)
	} else {
		w("Compared baseline: bench/charts.md has no server-side apply row of the heavy set yet (run `go run ./hack/bench charts`).\n")
	}
	return b.String()
}

// actionTable writes one action's phases, the chart's load first for the
// install and the agent's wait until ready last.
func actionTable(w func(string, ...any), load time.Duration, a actionTimeline) {
	tl := a.Timeline
	total := tl.Total + a.Ready
	if a.Action == "install" {
		total += load
	}
	w("### %s (revision %d): %.2f s\n\n", a.Action, a.Revision, total.Seconds())
	w("| phase | s | share | steps |\n|---|---|---|---|\n")
	row := func(name string, d time.Duration, steps string) {
		w("| %s | %.2f | %.0f%% | %s |\n", name, d.Seconds(), 100*d.Seconds()/total.Seconds(), steps)
	}
	if a.Action == "install" {
		row("chart loaded (the agent's loader: scan, unpack, 5 MB)", load, "")
	}
	for p := range numPhases {
		if tl.Spent[p] == 0 && tl.Steps[p] == 0 {
			continue
		}
		steps := ""
		if tl.Steps[p] > 0 {
			steps = fmt.Sprint(tl.Steps[p])
		}
		row(phaseNames[p], tl.Spent[p], steps)
	}
	row("the agent's own wait: every object ready (its health checker, polled every 250 ms)", a.Ready, "")
	w("| **total** | **%.2f** | 100%% | |\n\n", total.Seconds())
	w("Release record writes: %d asked for by Helm, **%.0f written**. API server requests during the action (every client): %s.\n\n",
		tl.RecordLines, a.SecretWrites, format(a.API, 0))
}

// readBaseline is the heavy set's server-side apply row of the chart-set
// fragment under out: "install X s, edit Y s", or "" without one.
func readBaseline(out string) string {
	data, err := os.ReadFile(filepath.Join(out, "charts.md"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) > 5 && strings.TrimSpace(cells[1]) == "heavy" && strings.HasPrefix(strings.TrimSpace(cells[2]), "server-side apply") {
			return fmt.Sprintf("server-side apply of the heavy set, CRDs first, then a wait until every object is ready: install %s s, edit %s s", strings.TrimSpace(cells[3]), strings.TrimSpace(cells[4]))
		}
	}
	return ""
}
