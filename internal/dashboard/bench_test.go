package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/testbrowser"
)

// bigFleet is n clusters × m components as agents report them: chart
// version and digest, revision, a Ready condition, every tenth failing.
func bigFleet(n, m int) []clusterv1.Cluster {
	now := metav1.Now()
	out := make([]clusterv1.Cluster, 0, n)
	for i := range n {
		cl := clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("member-%03d", i), Labels: map[string]string{"env": "prod", "region": "r" + strconv.Itoa(i%5)}},
			Status: clusterv1.ClusterStatus{State: clusterv1.ClusterNormal, LastHeartbeat: &now, CommonRevision: 7}}
		for j := range m {
			cs := hotplugv1.ComponentStatus{Name: fmt.Sprintf("component-%02d", j), Enabled: true, ChartVersion: "15.4.7",
				ChartDigest: "sha256:" + strings.Repeat("ab", 32), Revision: 3, Message: "release is running",
				Conditions: []metav1.Condition{{Type: hotplugv1.ConditionReady, Status: metav1.ConditionTrue, Reason: hotplugv1.ReasonDeployed, Message: "release is running", LastTransitionTime: now}}}
			if (i+j)%10 == 0 {
				cs.Message = "upgrade failed: timed out waiting for the condition"
				cs.Conditions[0].Status, cs.Conditions[0].Reason, cs.Conditions[0].Message = metav1.ConditionFalse, hotplugv1.ReasonActionFailed, cs.Message
			}
			cl.Status.Components = append(cl.Status.Components, cs)
		}
		out = append(out, cl)
	}
	return out
}

// BenchmarkSnapshot500x10: building the view of 500 clusters × 10
// components, and the size of the first snapshot a browser gets.
func BenchmarkSnapshot500x10(b *testing.B) {
	clusters := bigFleet(500, 10)
	var size int
	for b.Loop() {
		data, err := json.Marshal(Build(clusters, nil, time.Now()))
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size)/1024, "snapshot-KiB")
}

// BenchmarkOneCellChange500x10: what one changed cell costs to find and
// send at 500 × 10.
func BenchmarkOneCellChange500x10(b *testing.B) {
	clusters := bigFleet(500, 10)
	old := Build(clusters, nil, time.Now())
	clusters[250].Status.Components[5].Enabled = false
	next := Build(clusters, nil, time.Now())
	var sent int
	for b.Loop() {
		events, err := Diff(old, next)
		if err != nil || len(events) != 1 {
			b.Fatalf("%d events: %v", len(events), err)
		}
		sent = len(events[0].Data)
	}
	b.ReportMetric(float64(sent), "event-bytes")
}

// BenchmarkBrowserRender500x10: a real Chromium loading the view of 500 ×
// 10 cells, from navigation to the matrix drawn (the page's own clock).
func BenchmarkBrowserRender500x10(b *testing.B) {
	broker := NewBroker()
	if err := broker.Publish(Build(bigFleet(500, 10), nil, time.Now())); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	defer srv.Close()
	srv.Config.Handler = NewHandler(Options{Broker: broker, Hosts: []string{strings.TrimPrefix(srv.URL, "http://")}, Log: logr.Discard()})
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(testbrowser.Chromium(b)), chromedp.NoSandbox, chromedp.WindowSize(1280, 720))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(browser); err != nil {
		b.Fatal(err)
	}
	var total float64
	n := 0
	for b.Loop() {
		ctx, stop := context.WithTimeout(browser, time.Minute)
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`))); err != nil {
			stop()
			b.Fatal(err)
		}
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.renderMs`))
		stop()
		if err != nil {
			b.Fatal(err)
		}
		v, _ := strconv.ParseFloat(ms, 64)
		total += v
		n++
	}
	b.ReportMetric(total/float64(n), "render-ms")
}
