package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/dashboard"
	"github.com/kubecube-io/hotplug/internal/report"
	"github.com/kubecube-io/hotplug/internal/rollout"
	"github.com/kubecube-io/hotplug/internal/testbrowser"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testenv"
	"github.com/kubecube-io/hotplug/internal/toggle"
)

// TestDashboardInBrowser drives `hotplug dashboard`'s view in a real
// Chromium against a real fleet (a pivot and two members, the hub and
// three agents): the 3-cluster matrix appears; disabling a component with
// a Hotplug edit turns its cell without a reload within 3 s of the pivot
// knowing, and its detail names that Hotplug as the layer that set the
// status; an identity that may read but not patch sees the rollout
// actions disabled and a forced request refused with the API server's 403;
// Pause on the page pauses the rollout of common.
func TestDashboardInBrowser(t *testing.T) {
	chromium := testbrowser.Chromium(t)
	chartDir := t.TempDir()
	testcharts.Package(t, "configmap", chartDir, "logagent", "1.0.0", "logagent-1.0.0.tgz")
	testcharts.Package(t, "configmap", chartDir, "audit", "1.0.0", "audit-1.0.0.tgz")
	names := []string{"pivot-cluster", "member-1", "member-2"}
	f, _, _ := startRolloutFleet(t, rolloutSetup{names: names,
		components: []hotplugv1.ComponentSpec{
			{Name: "logagent", Namespace: "logagent", PkgName: "logagent-1.0.0.tgz", Status: hotplugv1.StatusEnabled},
			{Name: "audit", Namespace: "audit", PkgName: "audit-1.0.0.tgz", Status: hotplugv1.StatusEnabled},
		},
		agentOpts: func(string) agent.Options {
			return agent.Options{ChartDir: chartDir, RetryBase: time.Second, RetryMax: 5 * time.Second}
		},
	})
	pc := f.pivot.c
	testenv.Eventually(t, 3*time.Minute, "every cluster reports both components ready", func() (bool, string) {
		return everyCellReady(t, pc, names, 2)
	})

	url := serveDashboard(t, f.ctx, f.pivot.cl.Config)
	browser := newBrowser(t, f.ctx, chromium)
	// Confirmations are accepted; their text is kept.
	var confirmed []string
	var confirmedMu sync.Mutex
	dialogs := chromedp.Events(browser, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			confirmedMu.Lock()
			confirmed = append(confirmed, ev.Message)
			confirmedMu.Unlock()
			_, _ = chromedp.Call(browser, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	run(t, browser, "the matrix appears", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)))
	if rows := eval[int](t, browser, `window.loadedOnce = true; document.querySelectorAll("#matrix-body tr").length`); rows != 3 {
		t.Fatalf("the matrix shows %d clusters, want 3", rows)
	}
	// Each row names the version of the agent that reports it.
	if agents := eval[string](t, browser, `[...document.querySelectorAll("#matrix-body th .agent")].map((s) => s.textContent).join(",")`); agents != strings.TrimSuffix(strings.Repeat("agent "+report.Version()+",", 3), ",") {
		t.Errorf("the row headers name the agents %q, want agent %s on each of 3 rows", agents, report.Version())
	}
	canary := eval[string](t, browser, `[...document.querySelectorAll("#rollout-body tr")].filter((tr) => tr.querySelector(".mark")).map((tr) => tr.firstElementChild.firstChild.textContent).join(",")`)
	if canary != "member-1" {
		t.Errorf("the rollout marks %q as canary, want member-1", canary)
	}

	// Disable audit in member-2 only, as `kubectl edit hotplug member-2` would.
	if _, err := toggle.Switch(f.ctx, pc, "member-2", "audit", hotplugv1.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 2*time.Minute, "the pivot knows audit is uninstalled in member-2", func() (bool, string) {
		return cellDisabled(t, pc, "member-2", "audit"), "not uninstalled yet"
	})
	known := time.Now()
	run(t, browser, "the cell turns disabled without a reload",
		chromedp.Poll[chromedp.Void](`document.querySelector('.cell[data-cluster="member-2"][data-component="audit"]')?.dataset.phase === "disabled"`,
			chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
	still := eval[bool](t, browser, `window.loadedOnce === true`)
	if took := time.Since(known); took > 3*time.Second {
		t.Errorf("the cell turned %v after the pivot knew, want within 3 s", took.Round(time.Millisecond))
	} else {
		t.Logf("the cell turned %v after the pivot's Cluster object said so", took.Round(time.Millisecond))
	}
	if !still {
		t.Error("the page was reloaded")
	}

	// The cell's detail says which Hotplug set each value.
	run(t, browser, "provenance of the switch",
		chromedp.Click(chromedp.CSS(`.cell[data-cluster="member-2"][data-component="audit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail-config tr[data-path="status"]`)))
	if from := eval[string](t, browser, `document.querySelector('#detail-config tr[data-path="status"] td.from').textContent`); from != "Hotplug member-2" {
		t.Errorf("member-2's audit status is set by %q, want Hotplug member-2", from)
	}
	// ... computed from the revision of common member-2 runs.
	runs := clusterCommonRevision(t, pc, "member-2")
	if note := eval[string](t, browser, `document.getElementById("config-note").textContent`); !strings.Contains(note, fmt.Sprintf("revision %d of common, the one this cluster runs", runs)) {
		t.Errorf("the configuration's note is %q, want it to name revision %d of common", note, runs)
	}
	shot(t, browser, "dashboard-detail.png")
	run(t, browser, "provenance in another cell",
		chromedp.Click(chromedp.CSS(`.cell[data-cluster="member-1"][data-component="audit"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#detail-config tr[data-path="status"] td.from')?.textContent === "common"`,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Click(chromedp.CSS(`#detail-close`)))

	// Enable it again from the page: previewed, confirmed, applied.
	run(t, browser, "switch from the page",
		chromedp.Click(chromedp.CSS(`.cell[data-cluster="member-2"][data-component="audit"]`)),
		chromedp.WaitEnabled(chromedp.CSS(`#switch[data-status="enabled"]`)),
		chromedp.Click(chromedp.CSS(`#switch`)),
		chromedp.Poll[chromedp.Void](`document.getElementById("switch-result").textContent.includes("set to enabled")`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Poll[chromedp.Void](`document.querySelector('.cell[data-cluster="member-2"][data-component="audit"]')?.dataset.phase === "ready"`,
			chromedp.WithPollingTimeout(2*time.Minute)),
		// member-2's agent sent its events to the pivot: the detail lists
		// the uninstall and the install, which names the revision it left.
		chromedp.Poll[chromedp.Void](`(loadEvents("member-2", "audit"), /Installed.*component audit: install in namespace audit: revision 1, chart audit 1\.0\.0/.test(document.getElementById("detail-events").innerText) &&
			document.getElementById("detail-events").innerText.includes("Uninstalled"))`,
			chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(500*time.Millisecond)),
		chromedp.Click(chromedp.CSS(`#detail-close`)))
	confirmedMu.Lock()
	if len(confirmed) != 1 || !strings.Contains(confirmed[0], "Hotplug member-2: audit will be set to enabled") ||
		!strings.Contains(confirmed[0], "install: the agent of member-2 will install audit into namespace audit from package audit-1.0.0.tgz") {
		t.Errorf("the switch's confirmation showed %q, want the dry run's preview and the agent's plan", confirmed)
	}
	confirmedMu.Unlock()

	// Pause from the page (the confirmation accepted).
	run(t, browser, "Pause pauses the rollout",
		chromedp.WaitEnabled(chromedp.CSS(`#rollout-pause`)),
		chromedp.Click(chromedp.CSS(`#rollout-pause`)),
		chromedp.WaitVisible(chromedp.CSS(`#rollout-resume:not([disabled])`)))
	common := &hotplugv1.Hotplug{}
	if err := pc.Get(f.ctx, client.ObjectKey{Name: hotplugv1.CommonName}, common); err != nil || common.Annotations[hotplugv1.RolloutPausedAnnotation] != "true" {
		t.Errorf("common after Pause on the page: annotations %v (%v)", common.Annotations, err)
	}
	shot(t, browser, "dashboard.png")

	// A reader without patch: actions disabled, and forced, refused.
	readerURL := serveDashboard(t, f.ctx, readOnlyConfig(t, f))
	run(t, browser, "a reader's page", chromedp.Navigate(readerURL),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)), chromedp.WaitVisible(chromedp.CSS(`#rollout`)))
	disabled := eval[bool](t, browser, `["pause","resume","undo"].every((op) => document.getElementById("rollout-" + op).disabled)`)
	forced := eval[struct {
		Status int    `json:"status"`
		Text   string `json:"text"`
	}](t, browser, `fetch("api/rollout/resume", {method: "POST"}).then(async (r) => ({status: r.status, text: await r.text()}))`, chromedp.EvalAwaitPromise)
	status, text := forced.Status, forced.Text
	if !disabled {
		t.Error("a reader sees rollout actions enabled")
	}
	if status != 403 || !strings.Contains(text, "forbidden") {
		t.Errorf("a reader's forced resume: %d %q, want the API server's 403", status, text)
	}
	if err := pc.Get(f.ctx, client.ObjectKey{Name: hotplugv1.CommonName}, common); err != nil || common.Annotations[hotplugv1.RolloutPausedAnnotation] != "true" {
		t.Errorf("the reader's refused resume changed common: %v (%v)", common.Annotations, err)
	}
}

// everyCellReady tells whether every named cluster reports n components,
// each Ready.
func everyCellReady(t *testing.T, c client.Client, names []string, n int) (bool, string) {
	t.Helper()
	snap := dashboard.Build(listClusters(t, c), nil, time.Now())
	ready := 0
	for _, cell := range snap.Cells {
		if cell.Phase == dashboard.PhaseReady {
			ready++
		}
	}
	return ready == len(names)*n, fmt.Sprintf("%d of %d cells ready", ready, len(names)*n)
}

// cellDisabled is whether cluster's Cluster object reports component
// disabled and done (its Ready condition True).
func cellDisabled(t *testing.T, c client.Client, cluster, component string) bool {
	t.Helper()
	for _, cl := range listClusters(t, c) {
		for _, cs := range cl.Status.Components {
			if cl.Name == cluster && cs.Name == component {
				return !cs.Enabled && meta.IsStatusConditionTrue(cs.Conditions, hotplugv1.ConditionReady)
			}
		}
	}
	return false
}

func listClusters(t *testing.T, c client.Client) []clusterv1.Cluster {
	t.Helper()
	var list clusterv1.ClusterList
	if err := c.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// serveDashboard runs `hotplug dashboard`'s server with cfg on loopback
// and returns its URL.
func serveDashboard(t *testing.T, ctx context.Context, cfg *rest.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	local := dashboard.Local{Config: cfg, Listener: ln, Namespace: rollout.DefaultNamespace, Log: testenv.Logger(t)}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- local.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dashboard: %v", err)
		}
	})
	return local.URL()
}

// readOnlyConfig is an identity on the pivot that may read Clusters and
// Hotplugs (and ask what it may do) but not change them.
func readOnlyConfig(t *testing.T, f *rolloutFleet) *rest.Config {
	t.Helper()
	const user = "fleet-reader"
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{hotplugv1.GroupVersion.Group, clusterv1.GroupVersion.Group}, Resources: []string{"hotplugs", "clusters"},
		Verbs: []string{"get", "list", "watch"}}}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: user},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}}}
	for _, o := range []client.Object{role, binding} {
		if err := f.pivot.c.Create(f.ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := f.pivot.cl.UserConfig(user)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newBrowser starts a headless Chromium for the test.
func newBrowser(t *testing.T, ctx context.Context, path string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 720), chromedp.Flag("disable-gpu", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browser, cancel := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser, which lives as long as that
	// run's context: this one has no deadline.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return browser
}

// run runs browser actions with a deadline, failing the test with what.
func run(t *testing.T, browser context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, browser context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// shot saves a screenshot of the page as name: into docs/images with
// HOTPLUG_UPDATE_SCREENSHOT=1 (the README's pictures), else into the
// test's temporary directory.
func shot(t *testing.T, browser context.Context, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.TempDir(), name)
	if os.Getenv("HOTPLUG_UPDATE_SCREENSHOT") == "1" {
		path = filepath.Join("..", "..", "docs", "images", name)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// clusterCommonRevision is the revision of common a Cluster reports it runs.
func clusterCommonRevision(t *testing.T, c client.Client, name string) int64 {
	t.Helper()
	cl := &clusterv1.Cluster{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: name}, cl); err != nil {
		t.Fatal(err)
	}
	if cl.Status.CommonRevision == 0 {
		t.Fatalf("Cluster %s reports no revision of common", name)
	}
	return cl.Status.CommonRevision
}
