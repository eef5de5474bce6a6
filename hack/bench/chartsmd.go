package main

import (
	"fmt"
	"strings"

	"github.com/kubecube-io/hotplug/hack/bench/chartset"
	"github.com/kubecube-io/hotplug/internal/apimetrics"
)

// setDescriptions describe the chart sets in the fragment.
var setDescriptions = map[chartset.Set]string{
	chartset.Heavy: "**heavy** (the first rows): shaped like KubeCube's published charts as issue 21 measured them (kubecube-monitoring 15.4.7, thanos 3.18.0, logseer, logagent; 188 objects). " +
		"Its monitoring chart is 5.0 MB unpacked: ten prometheus-operator CRDs of 3.9 to 328 KB, 1.33 MB in all (prometheuses 328 KB, thanosrulers 254 KB, alertmanagers 247 KB, alertmanagerconfigs 122 KB, as the real ones; the schemas generated as large structural trees), " +
		"30 Grafana dashboards as ConfigMaps (18 to 200 KiB of JSON each, 2.5 MB), 37 PrometheusRules, ServiceMonitors and PodMonitors of its own CRDs, " +
		"and kube-prometheus-stack's admission webhook hooks: ServiceAccount, Role, ClusterRole and bindings in pre-/post-install and -upgrade, a certificate create Job before install and upgrade and a patch Job after them, each deleted before creation and on success; its Helm release record is about 850 KB. " +
		"In the real set this chart takes 16 s to install and 10 s to upgrade while the three others finish in 4 s.",
	chartset.Light: "**light** (the earlier set, second rows): a monitoring-shaped chart (3 subcharts, 12 CRDs of ~28 KB schema each, 171 objects, a post-install hook Job, custom resources of its own CRDs), thanos-shaped (14 objects, ServiceMonitors of the monitoring chart's CRD), logseer-shaped (8 objects, pre-install hook Job), loggie-shaped (5 objects); 198 objects in all.",
}

// chartsMarkdown is the chart-set fragment of RESULTS.md: the sets in the
// order measured, the full one (background, idle) first.
func chartsMarkdown(results []setResult, small phase, smallUse usage) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("## 2. Chart set: install, edit of two components, idle\n\n")
	w("Chart sets (hack/bench/chartset), each of four components:\n\n")
	for _, r := range results {
		w("- %s\n", setDescriptions[r.Set])
	}
	w("\nEach system runs on its own fresh simulated cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok; kwok completes the hook Jobs' pods). Done means every object ready (kstatus), as the agent's `running` means. Edit changes the values of %s (every workload rolls out, hook Jobs run again; the light set's ConfigMaps change too, the heavy set's dashboards do not).\n\n", strings.Join(chartset.Edited, " and "))
	w("| set | system | install, s | edit, s | peak RSS, MiB (VmHWM) | of which peak anon / file-mapped, MiB | CPU, s | load average at the install |\n|---|---|---|---|---|---|---|---|\n")
	mem := func(u usage) string {
		return fmt.Sprintf("%.0f | %.0f / %.0f", u.PeakRSSMiB, u.PeakAnonMiB, u.PeakFileMiB)
	}
	both := func(a, b usage) usage {
		return usage{PeakRSSMiB: max(a.PeakRSSMiB, b.PeakRSSMiB), PeakAnonMiB: max(a.PeakAnonMiB, b.PeakAnonMiB), PeakFileMiB: max(a.PeakFileMiB, b.PeakFileMiB), CPUSeconds: a.CPUSeconds + b.CPUSeconds}
	}
	for _, r := range results {
		a, seq, apply := r.Agent, r.Seq, r.Apply
		cpu := "(whole run)"
		if r.Full {
			cpu = "(whole run incl. idle)"
		}
		w("| %s | hotplug agent (process, all components concurrently) | %.1f | %.1f | %s | %.1f %s | %s |\n", r.Set, a.Install.Seconds, a.Edit.Seconds, mem(a.Usage), a.Usage.CPUSeconds, cpu, a.Load)
		su, au := both(seq.InstallUse, seq.EditUse), both(apply.InstallUse, apply.EditUse)
		w("| %s | one component after another (Helm through hotplug's wrapper, each waited for) | %.1f | %.1f | %s | %.1f | %s |\n", r.Set, seq.Install.Seconds, seq.Edit.Seconds, mem(su), su.CPUSeconds, seq.Load)
		w("| %s | server-side apply of the rendered objects, CRDs first (Go, `kubectl apply --server-side` equivalent, kubectl's 50/s bursts of 300) | %.1f | %.1f | %s | %.1f | %s |\n", r.Set, apply.Install.Seconds, apply.Edit.Seconds, mem(au), au.CPUSeconds, apply.Load)
	}
	w("| light | hotplug agent, %d small components (loggie-shaped, no edit) | %.1f | — | %s | %.1f | |\n\n", smallComponents, small.Seconds, mem(smallUse), smallUse.CPUSeconds)
	w("The file-mapped part is the binary's own pages (hotplug is one binary of about 87 MB of text: CLI, hub, agent, Helm v4 with its plugin runtime); the kernel maps it in large folios, so it is resident whether used or not, and reclaimable under pressure. The workers of the two other systems are a smaller binary (hack/bench).\n\n")
	w("The machine has 2 cores shared with other work: a high load average slows whichever system runs then, and the ratios below carry that noise.\n\n")
	for _, r := range results {
		a, seq, apply := r.Agent, r.Seq, r.Apply
		w("Ratios, %s set: agent / apply: install %.2f×, edit %.2f× (target ≤ 1.3×); one-after-another / agent: install %.2f×, edit %.2f× (target ≥ 2×).\n\n", r.Set,
			a.Install.Seconds/apply.Install.Seconds, a.Edit.Seconds/apply.Edit.Seconds, seq.Install.Seconds/a.Install.Seconds, seq.Edit.Seconds/a.Edit.Seconds)
	}
	w("API server requests per minute by verb (apiserver_request_total diffs; every client, controller-manager, scheduler and kwok included — the background row is the same cluster before the system ran):\n\n")
	w("| set | system | phase | requests/min by verb |\n|---|---|---|---|\n")
	row := func(set chartset.Set, sys, ph string, p phase) {
		w("| %s | %s | %s | %s |\n", set, sys, ph, format(p.API, p.Seconds/60))
	}
	for _, r := range results {
		bg := func(sys string, c apimetrics.Counts) {
			if r.Full {
				w("| %s | %s | background (30 s) | %s |\n", r.Set, sys, format(c, 0.5))
			}
		}
		bg("hotplug agent", r.Agent.Background)
		row(r.Set, "hotplug agent", "install", r.Agent.Install)
		row(r.Set, "hotplug agent", "edit", r.Agent.Edit)
		if r.Full {
			row(r.Set, "hotplug agent", fmt.Sprintf("idle (%s)", r.IdleDuration), r.Agent.Idle)
		}
		bg("one after another", r.Seq.Background)
		row(r.Set, "one after another", "install", r.Seq.Install)
		row(r.Set, "one after another", "edit", r.Seq.Edit)
		bg("apply", r.Apply.Background)
		row(r.Set, "apply", "install", r.Apply.Install)
		row(r.Set, "apply", "edit", r.Apply.Edit)
	}
	for _, r := range results {
		if r.Full {
			idleParagraph(&b, r)
		}
	}
	w("Profiles of the agent (part 4) in bench/profiles, from the %s set's run: agent-cpu.pprof (its whole run), agent-heap.pprof (after the edit converged); `go tool pprof -top bin/hotplug bench/profiles/agent-cpu.pprof`.\n", results[0].Set)
	return b.String()
}

// idleParagraph is the idle period of the full run.
func idleParagraph(b *strings.Builder, r setResult) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	a, idle := r.Agent, r.IdleDuration
	n := float64(len(r.Set.Components()))
	w("\nIdle, %s set (%s after the edit converged; resync period 5m): the agent's own requests (client-go's rest_client_requests_total): %s in all; ", r.Set, idle, format(a.IdleClient, 0))
	w("**%.2f reads/min per component** (target < 5; LIST and GET), %.0f PATCH (dry-run applies of drift detection included: client-go does not tell them apart), **%d Helm revisions** (must be 0). ",
		(a.IdleClient.Total()-a.IdleClient.Writes())/a.IdleMinutes/n, a.IdleClient.Writes(), a.IdleRevisions)
	w("After the first minute (the edit's aftermath: the first drift check of the upgraded objects, the old pods going), %.1f minutes: %s, **%.2f reads/min per component**. ",
		a.SettledMin, format(a.SettledClient, 0), (a.SettledClient.Total()-a.SettledClient.Writes())/a.SettledMin/n)
	w("API server, every client: %s per minute; **writes (dry runs excluded) %.1f/min against %.1f/min in the background** before the agent ran (controller-manager and kwok leases).\n\n",
		format(a.Idle.API, a.IdleMinutes), a.Idle.API.Writes()/a.IdleMinutes, a.Background.Writes()/0.5)
}
