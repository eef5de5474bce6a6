package dashboard

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/testbrowser"
)

// smallFleet is 3 clusters × 3 components: everything ready but c's
// logagent failing and b's metrics progressing; audit on a is given by the
// caller (the cell the test turns).
func smallFleet(auditOnA hotplugv1.ComponentStatus) Snapshot {
	ready := func(name string) hotplugv1.ComponentStatus {
		return comp(name, true, metav1.ConditionTrue, hotplugv1.ReasonDeployed)
	}
	return Build([]clusterv1.Cluster{
		cluster("a", clusterv1.ClusterNormal, auditOnA, ready("logagent"), ready("metrics")),
		cluster("b", clusterv1.ClusterNormal, ready("audit"), ready("logagent"), comp("metrics", true, metav1.ConditionFalse, hotplugv1.ReasonProgressing)),
		cluster("c", clusterv1.ClusterNormal, ready("audit"), comp("logagent", true, metav1.ConditionFalse, hotplugv1.ReasonActionFailed), ready("metrics")),
	}, nil, time.Now())
}

// pagePhases reads the matrix as the page shows it: rows in order, each
// "row-<cluster>:" and per cell the phase its button shows (its first text
// node) and the cell's class (its colour), "phase/class".
const pagePhases = `JSON.stringify([...document.querySelectorAll("#matrix-body tr")].map((tr) =>
	tr.id + ":" + [...tr.querySelectorAll("td")].map((td) => td.querySelector("button.cell").firstChild.textContent + "/" + td.className).join(" ")))`

// TestDashboardInFirefox: the fleet view in a real Firefox (WebDriver
// BiDi): the matrix drawn from the event stream with failing clusters
// first, one published cell change turning that cell in place (no reload,
// the row kept), and the keyboard: Tab moves between cells, Enter opens a
// cell's detail, Escape closes it.
func TestDashboardInFirefox(t *testing.T) {
	srv, broker := testServer(t, nil)
	if err := broker.Publish(smallFleet(comp("audit", true, metav1.ConditionTrue, hotplugv1.ReasonDeployed))); err != nil {
		t.Fatal(err)
	}
	ff := testbrowser.StartFirefox(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := ff.Navigate(ctx, srv.URL+"/"); err != nil {
		t.Fatal(err)
	}
	wait := func(what, expr string) {
		t.Helper()
		wctx, stop := context.WithTimeout(ctx, 15*time.Second)
		defer stop()
		if err := ff.Poll(wctx, expr); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	read := func(expr string) string {
		t.Helper()
		s, err := ff.EvalString(ctx, expr)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	wait("matrix drawn", `document.body.dataset.ready === "true" && document.getElementById("live").textContent === "live"`)
	want := []string{
		"row-c:ready/ready failing/failing ready/ready",
		"row-a:ready/ready ready/ready ready/ready",
		"row-b:ready/ready ready/ready progressing/progressing",
	}
	var got []string
	if err := json.Unmarshal([]byte(read(pagePhases)), &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("matrix %q (%v), want %q", got, err, want)
	}
	if h := read(`[...document.querySelectorAll("#matrix-head th")].map((th) => th.textContent).join(",")`); h != "cluster,audit,logagent,metrics" {
		t.Errorf("column headers %q", h)
	}
	if s := read(`document.getElementById("summary").textContent`); s != "3 clusters, 3 components, 1 failing" {
		t.Errorf("summary %q", s)
	}

	// One cell turns: marks on the window and the row tell a reload or a
	// redrawn matrix from an update in place.
	read(`window.sameLoad = "yes"; document.getElementById("row-a").dataset.kept = "yes"; "marked"`)
	if err := broker.Publish(smallFleet(comp("audit", true, metav1.ConditionFalse, hotplugv1.ReasonProgressing))); err != nil {
		t.Fatal(err)
	}
	wait("a's audit progressing", `document.getElementById("cell/a/audit").className === "progressing"`)
	if s := read(`document.getElementById("cell/a/audit").querySelector("button").firstChild.textContent + " " + window.sameLoad + " " + document.getElementById("row-a").dataset.kept`); s != "progressing yes yes" {
		t.Errorf("after the cell event: phase, same load, same row = %q, want \"progressing yes yes\"", s)
	}

	// Keyboard: Tab from c's audit reaches c's logagent; Enter opens it.
	read(`document.getElementById("cell/c/audit").querySelector("button").focus(); document.activeElement.dataset.component`)
	if err := ff.Press(ctx, testbrowser.KeyTab); err != nil {
		t.Fatal(err)
	}
	if s := read(`document.activeElement.dataset.cluster + "/" + document.activeElement.dataset.component`); s != "c/logagent" {
		t.Fatalf("Tab from c/audit focused %q, want c/logagent", s)
	}
	if err := ff.Press(ctx, testbrowser.KeyEnter); err != nil {
		t.Fatal(err)
	}
	wait("detail of c's logagent", `!document.getElementById("detail").hidden && document.activeElement.id === "detail" &&
		document.getElementById("detail-title").textContent === "logagent in c" &&
		document.getElementById("detail-facts").textContent.includes("failing")`)
	if err := ff.Press(ctx, testbrowser.KeyEscape); err != nil {
		t.Fatal(err)
	}
	wait("detail closed by Escape", `document.getElementById("detail").hidden`)
}
