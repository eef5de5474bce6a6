package health

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/kubecube-io/hotplug/internal/limits"
)

func ref(group, kind, ns, name string) ObjectRef {
	return ObjectRef{GroupVersionKind: schema.GroupVersionKind{Group: group, Version: "v1", Kind: kind}, Namespace: ns, Name: name}
}

var (
	deploy  = ref("apps", "Deployment", "logseer", "logseer")
	sts     = ref("apps", "StatefulSet", "logseer", "store")
	svc     = ref("", "Service", "logseer", "logseer")
	cm      = ref("", "ConfigMap", "logseer", "conf")
	crole   = ref("rbac.authorization.k8s.io", "ClusterRole", "", "logseer")
	current = func(r ObjectRef) ObjectHealth {
		return ObjectHealth{Ref: r, Status: status.CurrentStatus, Message: "Resource is current"}
	}
)

const unschedulable = "pod logseer-abc: Unschedulable: 0/1 nodes are available: 1 Insufficient cpu"

func TestSummarize(t *testing.T) {
	slow := ObjectHealth{Ref: deploy, Status: status.InProgressStatus, Message: "Available: 0/1", Reason: unschedulable}
	tests := []struct {
		name        string
		objects     []ObjectHealth
		sinceAction time.Duration
		timeout     time.Duration
		want        Summary
	}{
		{name: "no objects is ready", want: Summary{Ready, RunningMessage}},
		{name: "all current", objects: []ObjectHealth{current(deploy), current(svc), current(crole)},
			sinceAction: time.Hour, timeout: time.Minute, want: Summary{Ready, RunningMessage}},
		{name: "in progress names object, kstatus message and pod reason",
			objects:     []ObjectHealth{current(svc), slow},
			sinceAction: 10 * time.Second, timeout: 5 * time.Minute,
			want: Summary{Progressing, "Deployment logseer/logseer: Available: 0/1; " + unschedulable}},
		{name: "in progress at exactly the timeout is still progressing",
			objects: []ObjectHealth{slow}, sinceAction: 5 * time.Minute, timeout: 5 * time.Minute,
			want: Summary{Progressing, "Deployment logseer/logseer: Available: 0/1; " + unschedulable}},
		{name: "in progress past the timeout fails",
			objects: []ObjectHealth{slow, current(svc)}, sinceAction: 5*time.Minute + time.Second, timeout: 5 * time.Minute,
			want: Summary{Failed, "not ready 5m0s after the last action: Deployment logseer/logseer: Available: 0/1; " + unschedulable}},
		{name: "no timeout never fails from progress alone",
			objects: []ObjectHealth{slow}, sinceAction: 100 * time.Hour, timeout: 0,
			want: Summary{Progressing, "Deployment logseer/logseer: Available: 0/1; " + unschedulable}},
		{name: "not found fails at once",
			objects:     []ObjectHealth{current(svc), {Ref: deploy, Status: status.NotFoundStatus, Message: "not found"}},
			sinceAction: time.Second, timeout: 5 * time.Minute,
			want: Summary{Failed, "Deployment logseer/logseer: not found"}},
		{name: "kstatus failed fails at once and comes before in-progress objects",
			objects: []ObjectHealth{
				{Ref: sts, Status: status.InProgressStatus, Message: "Ready: 0/1"},
				{Ref: deploy, Status: status.FailedStatus, Message: "Progress deadline exceeded"},
			},
			want: Summary{Failed, "Deployment logseer/logseer: Progress deadline exceeded; StatefulSet logseer/store: Ready: 0/1"}},
		{name: "terminating and unknown are progressing; empty message says the status",
			objects: []ObjectHealth{{Ref: cm, Status: status.TerminatingStatus}, {Ref: crole, Status: status.UnknownStatus, Message: "cannot judge: bad"}},
			want:    Summary{Progressing, "ClusterRole logseer: cannot judge: bad; ConfigMap logseer/conf: Terminating"}},
		{name: "more than three objects are counted",
			objects: []ObjectHealth{
				{Ref: ref("", "ConfigMap", "a", "4"), Status: status.InProgressStatus, Message: "x"},
				{Ref: ref("", "ConfigMap", "a", "3"), Status: status.InProgressStatus, Message: "x"},
				{Ref: ref("", "ConfigMap", "a", "2"), Status: status.InProgressStatus, Message: "x"},
				{Ref: ref("", "ConfigMap", "a", "1"), Status: status.InProgressStatus, Message: "x"},
				{Ref: ref("", "ConfigMap", "a", "0"), Status: status.InProgressStatus, Message: "x"},
			},
			want: Summary{Progressing, "ConfigMap a/0: x; ConfigMap a/1: x; ConfigMap a/2: x; and 2 more"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summarize(tt.objects, tt.sinceAction, tt.timeout)
			if got != tt.want {
				t.Errorf("Summarize() =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}
}

// TestSummarizeOrderIndependent checks that the message depends on the set
// of objects only, and that the input is left as it was.
func TestSummarizeOrderIndependent(t *testing.T) {
	a := []ObjectHealth{
		{Ref: sts, Status: status.InProgressStatus, Message: "Ready: 0/1"},
		{Ref: cm, Status: status.NotFoundStatus, Message: "not found"},
		{Ref: deploy, Status: status.InProgressStatus, Message: "Available: 0/1"},
		current(svc),
	}
	b := []ObjectHealth{a[3], a[2], a[1], a[0]}
	before := fmt.Sprint(b)
	sa, sb := Summarize(a, 0, 0), Summarize(b, 0, 0)
	if sa != sb {
		t.Fatalf("order changes the summary:\n%+v\n%+v", sa, sb)
	}
	if fmt.Sprint(b) != before {
		t.Fatal("Summarize modified its input")
	}
	want := "ConfigMap logseer/conf: not found; Deployment logseer/logseer: Available: 0/1; StatefulSet logseer/store: Ready: 0/1"
	if sa.Message != want || sa.State != Failed {
		t.Fatalf("got %+v, want Failed %q", sa, want)
	}
}

// TestSummarizeBoundsMessage checks that long messages are cut per object
// and in total, on UTF-8 boundaries, and that every listed object is named.
func TestSummarizeBoundsMessage(t *testing.T) {
	long := strings.Repeat("é", 5000)
	objects := []ObjectHealth{
		{Ref: ref("", "ConfigMap", "a", "1"), Status: status.InProgressStatus, Message: long, Reason: long},
		{Ref: ref("", "ConfigMap", "a", "2"), Status: status.InProgressStatus, Message: long},
		{Ref: ref("", "ConfigMap", "a", "3"), Status: status.InProgressStatus, Message: long},
		{Ref: ref("", "ConfigMap", "a", "4"), Status: status.InProgressStatus, Message: long},
	}
	for _, timeout := range []time.Duration{0, time.Second} {
		s := Summarize(objects, time.Minute, timeout)
		if len(s.Message) > limits.MaxMessageBytes {
			t.Errorf("message is %d bytes, more than %d", len(s.Message), limits.MaxMessageBytes)
		}
		if !utf8.ValidString(s.Message) {
			t.Error("message is not valid UTF-8")
		}
		for _, name := range []string{"ConfigMap a/1", "ConfigMap a/2", "ConfigMap a/3"} {
			if !strings.Contains(s.Message, name) {
				t.Errorf("message does not name %s: %q", name, s.Message)
			}
		}
	}
}

func TestObjectRefString(t *testing.T) {
	if got := deploy.String(); got != "Deployment logseer/logseer" {
		t.Errorf("namespaced: %q", got)
	}
	if got := crole.String(); got != "ClusterRole logseer" {
		t.Errorf("cluster-scoped: %q", got)
	}
}

// BenchmarkSummarize measures a release of 200 objects, 20 of them in
// progress with pod reasons and one gone.
func BenchmarkSummarize(b *testing.B) {
	objects := make([]ObjectHealth, 0, 200)
	for i := range 200 {
		o := ObjectHealth{Ref: ref("apps", "Deployment", "ns", fmt.Sprintf("web-%03d", (i*7919)%200)), Status: status.CurrentStatus, Message: "Deployment is available. Replicas: 1"}
		switch {
		case i == 100:
			o.Status, o.Message = status.NotFoundStatus, "not found"
		case i%10 == 0:
			o.Status, o.Message, o.Reason = status.InProgressStatus, "Available: 0/1", unschedulable
		}
		objects = append(objects, o)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Summarize(objects, time.Minute, 5*time.Minute)
	}
}
