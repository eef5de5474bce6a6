package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// sampleLog is Helm's log of one install and one upgrade of the heavy
// monitoring chart through the wrapper (TestHeavyMonitoringInstallsAndUpgrades
// -v, Wait on), thinned: one in 20 "Created resource via patch" and
// "Patched resource" lines and one in 10 "waiting for resource" lines.
const sampleLog = "testdata/helm-heavy-install-upgrade.log"

var kvPattern = regexp.MustCompile(`"([^"]+)"=("(?:[^"\\]|\\.)*"|\S+)`)

// readSample parses funcr's lines: an optional logger name, then
// "key"=value pairs with "ts" and "msg" among them.
func readSample(t *testing.T) []logLine {
	t.Helper()
	f, err := os.Open(sampleLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []logLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		text := sc.Text()
		name, _, _ := strings.Cut(text, `"ts"=`)
		l := logLine{Name: strings.TrimSpace(name), KV: map[string]string{}}
		for _, m := range kvPattern.FindAllStringSubmatch(text, -1) {
			l.KV[m[1]] = strings.Trim(m[2], `"`)
		}
		if l.At, err = time.Parse("2006-01-02 15:04:05.999999", l.KV["ts"]); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		l.Msg = l.KV["msg"]
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// between returns the lines from the first with msg from to the first
// later one with msg to (both included).
func between(t *testing.T, lines []logLine, from, to string) []logLine {
	t.Helper()
	start := -1
	for i, l := range lines {
		if start < 0 && l.Msg == from {
			start = i
		}
		if start >= 0 && l.Msg == to {
			return lines[start : i+1]
		}
	}
	t.Fatalf("no %q ... %q in the sample", from, to)
	return nil
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestClassifySample(t *testing.T) {
	lines := readSample(t)
	install := between(t, lines, "installing release", "installed release")
	// The upgrade starts with the wrapper's read of the last revision.
	upgrade := between(t, lines[len(install):], "getting last revision", "upgraded release")
	ms := func(d float64) time.Duration { return time.Duration(d * float64(time.Second)) }
	tests := []struct {
		name       string
		lines      []logLine
		spent      map[tlPhase]time.Duration // from the sample's timestamps by hand
		steps      map[tlPhase]int
		recordLogs int
	}{{
		name:  "install",
		lines: install,
		spent: map[tlPhase]time.Duration{
			phCRDApply:   ms(1.997430), // 02.843619 - 00.846189: ten CRDs
			phCRDWait:    ms(0.508302), // to "clearing REST mapper cache" at 03.351921
			phRender:     ms(1.526782), // to "creating release" at 04.878703
			phPreWaitJob: ms(1.043727), // the create Job: 05.965504 to its hook-succeeded delete at 07.009231
			phApply:      ms(1.364040), // 154 objects: 07.661226 to the wait at 09.025266
		},
		steps: map[tlPhase]int{
			phCRDApply: 10, phCRDWait: 1, phFirstWrite: 1,
			phPreDelete: 6, phPreProgress: 6, phPreCreate: 6, phPreWaitJob: 1, phPreWaitOther: 5, phPreSucceeded: 6,
			phApply: 1, phWait: 1,
			phPostDelete: 6, phPostProgress: 6, phPostCreate: 6, phPostWaitJob: 1, phPostWaitOther: 5, phPostSucceeded: 6,
			phFinalWrite: 1,
		},
		recordLogs: 14, // 1 create, 12 hook progress, 1 final
	}, {
		name:  "upgrade",
		lines: upgrade,
		spent: map[tlPhase]time.Duration{
			phCRDApply: 0, phCRDWait: 0,
			phPrepare: ms(0.343327), // 12.603146 to "resetting values" at 12.946473
			phRender:  ms(1.340211), // to "creating release" at 14.286684
		},
		steps: map[tlPhase]int{
			phCRDApply: 0, phFirstWrite: 1,
			phPreDelete: 6, phPreProgress: 6, phPreCreate: 6, phPreWaitJob: 1, phPreSucceeded: 6,
			phPostDelete: 6, phPostSucceeded: 6,
			phFinalWrite: 2, // the previous revision superseded, this one deployed
		},
		recordLogs: 15,
	}, {
		// A stage's last hook-succeeded delete is followed by the main
		// apply, not by a record update and a create.
		name: "succeeded delete before the apply",
		lines: []logLine{
			{At: at(t, "2026-12-08 04:10:07.546000"), Msg: msgDelete, KV: map[string]string{"kind": "ServiceAccount"}},
			{At: at(t, "2026-12-08 04:10:07.661226"), Msg: msgCreating, KV: map[string]string{"resources": "154"}},
		},
		spent: map[tlPhase]time.Duration{phPreSucceeded: ms(0.115226), phPreDelete: 0},
		steps: map[tlPhase]int{phPreSucceeded: 1, phPreDelete: 0},
	}, {
		// An upgrade: the wrapper reads the field managers of the 154
		// objects between the last hook-succeeded delete and Helm's update.
		name: "field managers read before the update",
		lines: []logLine{
			{At: at(t, "2026-12-08 04:18:18.219682"), Msg: msgDelete, KV: map[string]string{"kind": "ServiceAccount"}},
			{At: at(t, "2026-12-08 04:18:18.224000"), Msg: msgManagers, KV: map[string]string{"objects": "154"}},
			{At: at(t, "2026-12-08 04:18:18.776779"), Msg: "using server-side apply for resource update"},
			{At: at(t, "2026-12-08 04:18:18.776809"), Msg: "checking resources for changes"},
			{At: at(t, "2026-12-08 04:18:21.263297"), Msg: msgDelete, KV: map[string]string{"kind": "ServiceAccount"}},
		},
		spent: map[tlPhase]time.Duration{phPreSucceeded: ms(0.004318), phManagers: ms(0.552779), phApply: ms(2.486518)},
		steps: map[tlPhase]int{phPreSucceeded: 1, phPostSucceeded: 1},
	}, {
		name: "before-hook-creation delete of a Job, then its wait",
		lines: []logLine{
			{At: at(t, "2026-12-08 04:10:04.900000"), Msg: msgCreateRelease},
			{At: at(t, "2026-12-08 04:10:05.843334"), Msg: msgDelete, KV: map[string]string{"kind": "Job"}},
			{At: at(t, "2026-12-08 04:10:05.949894"), Msg: msgUpdateRelease},
			{At: at(t, "2026-12-08 04:10:05.949958"), Msg: msgCreating},
			{At: at(t, "2026-12-08 04:10:05.965504"), Msg: msgWaiting},
			{At: at(t, "2026-12-08 04:10:07.009231"), Msg: msgDelete, KV: map[string]string{"kind": "Job"}},
		},
		spent: map[tlPhase]time.Duration{
			phPreDelete: ms(0.106560), phPreProgress: ms(0.000064), phPreCreate: ms(0.015546), phPreWaitJob: ms(1.043727), phPreWaitOther: 0,
		},
		steps:      map[tlPhase]int{phPreDelete: 1, phPreSucceeded: 1, phPreWaitJob: 1, phFinalWrite: 0},
		recordLogs: 2,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start, end := tc.lines[0].At, tc.lines[len(tc.lines)-1].At
			tl := classify(start, end, tc.lines)
			var sum time.Duration
			for _, d := range tl.Spent {
				sum += d
			}
			if sum != tl.Total || tl.Total != end.Sub(start) {
				t.Errorf("phases sum to %s, total %s, want both %s", sum, tl.Total, end.Sub(start))
			}
			for p, want := range tc.spent {
				if got := tl.Spent[p]; (got - want).Abs() > time.Microsecond {
					t.Errorf("%s: %s, want %s", phaseNames[p], got, want)
				}
			}
			for p, want := range tc.steps {
				if got := tl.Steps[p]; got != want {
					t.Errorf("%s: %d steps, want %d", phaseNames[p], got, want)
				}
			}
			if tl.RecordLines != tc.recordLogs {
				t.Errorf("%d record lines, want %d", tl.RecordLines, tc.recordLogs)
			}
		})
	}
}

// TestRecorderKeepsDebugLines checks that the recorder keeps the SDK's
// debug lines (logr verbosity 4) with the names and values given.
func TestRecorderKeepsDebugLines(t *testing.T) {
	var r recorder
	before := time.Now()
	log := r.logger().WithName("helm").WithValues("release", "monitoring")
	log.WithName("helm-sdk").V(4).Info("creating release", "key", "sh.helm.release.v1.monitoring.v1")
	got := r.since(before)
	if len(got) != 1 {
		t.Fatalf("%d lines, want 1", len(got))
	}
	l := got[0]
	if l.Name != "helm/helm-sdk" || l.Msg != msgCreateRelease || l.KV["key"] != "sh.helm.release.v1.monitoring.v1" || l.KV["release"] != "monitoring" || l.At.Before(before) {
		t.Errorf("recorded %+v", l)
	}
	if n := len(r.since(time.Now().Add(time.Second))); n != 0 {
		t.Errorf("%d lines after now, want 0", n)
	}
}
