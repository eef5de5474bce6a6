package hub

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
)

func TestBudget(t *testing.T) {
	cases := []struct {
		name  string
		costs map[string]int
		total int
		over  []string
	}{
		{"none", nil, 100, nil},
		{"all fit", map[string]int{"a": 40, "b": 60}, 100, nil},
		{"the biggest is summarized", map[string]int{"a": 10, "b": 20, "big": 500}, 100, []string{"big"}},
		{"cheapest first, then every bigger one", map[string]int{"a": 30, "b": 40, "c": 50, "d": 60}, 100, []string{"c", "d"}},
		{"ties go by name", map[string]int{"x": 50, "y": 50, "z": 50}, 100, []string{"z"}},
		{"one alone over the total", map[string]int{"only": 101}, 100, []string{"only"}},
		{"many small fit, one big does not", map[string]int{"a": 1, "b": 1, "c": 1, "huge": 1 << 30}, 3, []string{"huge"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			over := budget(tc.costs, tc.total)
			if got := slices.Sorted(maps.Keys(over)); !slices.Equal(got, tc.over) {
				t.Errorf("budget = %v, want %v", got, tc.over)
			}
			kept := 0
			for n, c := range tc.costs {
				if !over[n] {
					kept += c
				}
			}
			if kept > tc.total {
				t.Errorf("kept %d > total %d", kept, tc.total)
			}
		})
	}
}

func TestCounted(t *testing.T) {
	c := contribution{raises: hotplugv1.PhaseRunning, running: true, comps: []compReport{
		{name: "mon", running: true}, {name: "stray", isBad: true, bad: "m: stray: boom"}}}
	in := c.counted("m", func(n string) bool { return n == "mon" })
	if len(in.comps) != 1 || !in.running || in.raises != hotplugv1.PhaseRunning || in.cost != 0 {
		t.Errorf("a component outside the configuration counted: %+v", in)
	}
	all := c.counted("m", func(string) bool { return true })
	if all.running || all.raises != hotplugv1.PhaseProgressing || all.cost == 0 {
		t.Errorf("a configured component not ready leaves the cluster healthy: %+v", all)
	}
}

// worstFleet is what n members can write into their Cluster status at most
// (what the CRD admits): every cluster reports k components (up to
// limits.MaxStatusComponents), each not ready with a message of 1024 characters that JSON
// escapes six times over, half of them outside its configuration; some are
// abnormal with the longest reason; names are as long as names get.
func worstFleet(n, k int) ([]clusterv1.Cluster, []hotplugv1.Hotplug) {
	var common hotplugv1.Hotplug
	common.Name = hotplugv1.CommonName
	for i := range limits.MaxComponents {
		common.Spec.Component = append(common.Spec.Component, hotplugv1.ComponentSpec{Name: fmt.Sprintf("c%052d", i)})
	}
	configs := []hotplugv1.Hotplug{common}
	msg := strings.Repeat("<", limits.MaxMessageBytes)
	var clusters []clusterv1.Cluster
	for i := range n {
		name := fmt.Sprintf("%0253d", i)
		own := hotplugv1.Hotplug{}
		own.Name = name
		for j := range limits.MaxComponents / 2 {
			own.Spec.Component = append(own.Spec.Component, hotplugv1.ComponentSpec{Name: fmt.Sprintf("own-%d-%044d", i, j)})
		}
		configs = append(configs, own)
		c := clusterv1.Cluster{}
		c.Name = name
		c.Status.State, c.Status.HotplugPhase = clusterv1.ClusterNormal, hotplugv1.PhaseFail
		if i%5 == 4 {
			c.Status.State, c.Status.Reason = clusterv1.ClusterAbnormal, msg
		}
		names := append(componentNames(&common), componentNames(&own)...)
		for j := len(names); j < limits.MaxStatusComponents; j++ {
			names = append(names, fmt.Sprintf("stray-%047d", j))
		}
		for _, cn := range names[:k] {
			c.Status.Components = append(c.Status.Components, hotplugv1.ComponentStatus{Name: cn, Message: msg,
				Conditions: []metav1.Condition{{Type: hotplugv1.ConditionReady, Status: metav1.ConditionFalse, Reason: "Failed", Message: msg}}})
		}
		clusters = append(clusters, c)
	}
	return clusters, configs
}

// TestRollUpBudgetBound rolls up the worst reports members can write: the
// status stays within limits.MaxRollupBytes as stored, the clusters over
// their share are summarized and named by ReportsSummarized, every
// component not ready anywhere stays not ready (a summarized cluster counts
// by its components, never healthy by omission), and components outside
// every configuration are not listed.
func TestRollUpBudgetBound(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, tc := range []struct{ n, k int }{{1, 200}, {3, 200}, {20, 200}, {200, 200}, {200, 1}, {200, 10}, {1000, 1}} {
		n := tc.n
		t.Run(fmt.Sprintf("%d clusters × %d components", tc.n, tc.k), func(t *testing.T) {
			clusters, configs := worstFleet(tc.n, tc.k)
			st := RollUp(clusters, configs, hotplugv1.HotplugStatus{}, 1, now)
			// Twice, as the hub does: the second round starts from the first.
			st = RollUp(clusters, configs, st, 1, now)
			data, _ := json.Marshal(st)
			t.Logf("%d clusters: common's status is %d bytes, %d components, message %d bytes", n, len(data), len(st.Components), len(st.Message))
			if len(data) > limits.MaxRollupBytes {
				t.Errorf("common's status is %d bytes, more than %d", len(data), limits.MaxRollupBytes)
			}
			if limits.JSONLen(st.Message) > limits.MaxStatusMessageBytes || len(st.Components) > limits.MaxStatusComponents {
				t.Errorf("message %d bytes, %d components", limits.JSONLen(st.Message), len(st.Components))
			}
			checkStatusBounds(t, st)
			cond := meta.FindStatusCondition(st.Conditions, hotplugv1.ConditionReportsSummarized)
			if cond == nil || cond.Status != metav1.ConditionTrue {
				t.Fatalf("no ReportsSummarized condition: %+v", st.Conditions)
			}
			if cond.Reason != hotplugv1.ReasonReportsOverBudget {
				t.Errorf("reason %s", cond.Reason)
			}
			for _, cs := range st.Components {
				if strings.HasPrefix(cs.Name, "stray-") {
					t.Errorf("component %s is in no configuration but listed", cs.Name)
				}
				if !meta.IsStatusConditionFalse(cs.Conditions, hotplugv1.ConditionReady) {
					t.Errorf("component %s not ready everywhere reads ready", cs.Name)
				}
			}
			if st.Phase != hotplugv1.PhaseFail {
				t.Errorf("phase %s", st.Phase)
			}
			var m map[string]string
			if err := json.Unmarshal([]byte(st.Message), &m); err != nil {
				t.Fatalf("message is not a JSON object: %v", err)
			}
		})
	}
}

// TestRollUpSummarizesTheOffender: one member reporting the most it may
// next to well-behaved ones is the one summarized; the others' messages
// stay whole.
func TestRollUpSummarizesTheOffender(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clusters, configs := worstFleet(1, limits.MaxStatusComponents)
	loud := clusters[0].Name
	names := componentNames(&configs[0])
	for i := range 5 {
		c := cluster(fmt.Sprintf("member-%d", i), clusterv1.ClusterNormal, hotplugv1.PhaseFail,
			map[string]string{names[0]: "Deployment mon/web: Available: 0/1"})
		clusters = append(clusters, c)
	}
	st := RollUp(clusters, configs, hotplugv1.HotplugStatus{}, 1, now)
	cond := meta.FindStatusCondition(st.Conditions, hotplugv1.ConditionReportsSummarized)
	if cond == nil || !strings.Contains(cond.Message, loud) || strings.Contains(cond.Message, "member-") {
		t.Fatalf("ReportsSummarized: %+v", cond)
	}
	first := st.Components[0]
	for i := range 5 {
		if !strings.Contains(first.Message, fmt.Sprintf("member-%d: Deployment mon/web: Available: 0/1", i)) {
			t.Errorf("member-%d's entry is missing: %.300q", i, first.Message)
		}
	}
	if !strings.Contains(first.Message, "not ready in 1 clusters whose reports are summarized") {
		t.Errorf("the summarized cluster is not counted: %.300q", first.Message)
	}
	// Once the offender reports less, it is no longer summarized.
	clusters[0].Status.Components = clusters[0].Status.Components[:1]
	clusters[0].Status.Components[0].Message = "short"
	st = RollUp(clusters, configs, st, 1, now)
	if meta.FindStatusCondition(st.Conditions, hotplugv1.ConditionReportsSummarized) != nil {
		t.Errorf("ReportsSummarized stays after the reports fit: %+v", st.Conditions)
	}
}
