package docs

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/cli"
)

func testRepo(t *testing.T) Repo {
	t.Helper()
	targets, err := MakeTargets(repoRoot, "Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if !targets["verify"] || !targets["verify-chart"] || !targets["docs"] {
		t.Fatalf("targets lack verify, verify-chart (included) or docs: %v", targets)
	}
	return Repo{Root: repoRoot, Targets: targets, NewRoot: cli.NewRoot}
}

func block(lang string, lines ...string) Block {
	return Block{File: "x.md", Line: 10, Lang: lang, Body: lines}
}

// checkLine checks the commands of one bash line and returns the findings'
// messages and whether one ran.
func checkLine(t *testing.T, r Repo, line string) ([]string, bool) {
	t.Helper()
	cmds, bad := ShellCommands(block("bash", line))
	var msgs []string
	for _, f := range bad {
		msgs = append(msgs, f.Msg)
	}
	ran := false
	for _, c := range cmds {
		o := r.CheckCommand(block("bash", line), c)
		ran = ran || o.Ran
		for _, f := range o.Findings {
			msgs = append(msgs, f.Msg)
		}
	}
	return msgs, ran
}

func TestCheckCommand(t *testing.T) {
	r := testRepo(t)
	for _, tc := range []struct {
		line    string
		wantErr string // "" when the line is fine
		ran     bool
	}{
		{line: "hotplug --help", ran: true},
		{line: "bin/hotplug rollout status --help", ran: true},
		{line: "kubectl hotplug help render", ran: true},
		{line: "hotplug render --cluster pivot-cluster -f config/samples/hotplug_v1_common.yaml -f config/samples/hotplug_v1_pivot-cluster.yaml -o yaml", ran: true},
		{line: "hotplug render --cluster member-1 -f test/docs/testdata/bad-env.yaml", wantErr: "failed", ran: true},
		{line: "hotplug status --check -o json | jq '.[]'"},
		{line: "hotplug enable logagent --cluster member-1 --no-wait"},
		{line: "hotplug renderr --cluster x", wantErr: "unknown command"},
		{line: "hotplug status --chekc", wantErr: "unknown flag: --chekc"},
		{line: "hotplug enable", wantErr: "hotplug enable"},
		{line: "hotplug render -f charts/examples/nosuch.yaml --cluster x", wantErr: "no such path"},
		{line: "make demo verify BIN=/work/bin"},
		{line: "make demoo", wantErr: "no target demoo"},
		{line: "make chart-bundle-image CHART_BUNDLE_DIR=./charts"},
		{line: "kubectl apply -f config/samples/"},
		{line: "kubectl apply -f config/sample/", wantErr: "no such path"},
		{line: "kubectl -n kubecube-system rollout status deploy/hotplug-hub"},
		{line: "kubectl apply -f deploy/hotplug/crds/*.yaml"},
		{line: "kubectl apply -f deploy/hotplug/crd/*.yaml", wantErr: "no file in the repository matches"},
		{line: "go run ./hack/nosuch", wantErr: "no such path"},
		{line: "TOKEN=$(kubectl get secret x -o jsonpath='{.data.token}' | base64 -d)"},
		{line: "X=$(frobnicate)", wantErr: "command frobnicate"},
		{line: "rm -rf /", wantErr: "command rm"},
		{line: "watch -n 5 hotplug rollout statuss", wantErr: "unknown command"},
		{line: "hotplug diff --cluster m1 >/dev/null 2>&1; echo $?"},
		{line: `case $? in 0) echo "in sync";; 3) echo "changes pending";; *) echo "diff failed";; esac`},
		{line: "if hotplug diff --cluster member-1 >/dev/null; then echo in sync; fi"},
		{line: "if hotplug dif --cluster member-1; then echo in sync; fi", wantErr: "unknown command"},
		{line: "helm install hotplug deploy/hotplug --set role=pivot --set 'memberAccess.clusters={a,b}'"},
		{line: "helm install hotplug deploy/hotplug --set rol=pivot", wantErr: "--set rol"},
		{line: "helm upgrade hotplug deploy/hotplug --set=image.tag=x,image.tga=y", wantErr: "image.tga"},
	} {
		msgs, ran := checkLine(t, r, tc.line)
		got := strings.Join(msgs, "; ")
		switch {
		case tc.wantErr == "" && got != "":
			t.Errorf("%s: unexpected findings: %s", tc.line, got)
		case tc.wantErr != "" && !strings.Contains(got, tc.wantErr):
			t.Errorf("%s: findings %q lack %q", tc.line, got, tc.wantErr)
		}
		if ran != tc.ran {
			t.Errorf("%s: ran = %v, want %v", tc.line, ran, tc.ran)
		}
	}
}

func TestShellCommands(t *testing.T) {
	b := block("console",
		"$ hotplug render \\",
		"    --cluster x -f a.yaml   # a comment",
		"COMPONENT  ENABLED",
		"$ kubectl patch hotplug common -p '{\"a\":",
		"  1}' && echo \"in $(pwd)\"",
		"$ cat <<EOF | kubectl apply -f -",
		"kind: Whatever",
		"EOF",
		"$ git status 2> /dev/null",
	)
	cmds, bad := ShellCommands(b)
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	var got []string
	for _, c := range cmds {
		got = append(got, strings.Join(c.Words, " ")+"@"+itoa(c.Line))
	}
	want := []string{
		"hotplug render --cluster x -f a.yaml@11",
		"kubectl patch hotplug common -p {\"a\":\n  1}@14",
		"echo in $(pwd)@14", "pwd@14",
		"cat@16", "kubectl apply -f -@16",
		"git status@19",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("commands:\n got %q\nwant %q", got, want)
	}
	if _, bad := ShellCommands(block("bash", "echo 'open")); len(bad) == 0 {
		t.Error("an unbalanced quote is not reported")
	}
}

func TestParseMarkersAnchorsLinks(t *testing.T) {
	d := Parse("docs/x.md", strings.Join([]string{
		"# Title",
		"## The `render` command",
		"## Title",
		"<!-- doctest: skip (needs a cluster) -->",
		"",
		"```bash",
		"hotplug status",
		"```",
		"<!-- values: deploy/hotplug -->",
		"   ```yaml",
		"   role: pivot",
		"   ```",
		"See [cli](cli.md#hotplug-render) and `[not](a link)`.",
		"<!-- doctest: skip () -->",
		"```sh",
		"```",
		"<!-- doctest: skip (x) -->",
		"text",
		"<!-- doctest: run -->",
	}, "\n"))
	if len(d.Blocks) != 3 || d.Blocks[0].Skip != "needs a cluster" || d.Blocks[1].Values != "deploy/hotplug" ||
		d.Blocks[1].Body[0] != "role: pivot" || d.Blocks[0].Line != 6 {
		t.Fatalf("blocks: %+v", d.Blocks)
	}
	for _, a := range []string{"title", "the-render-command", "title-1"} {
		if !d.Anchors[a] {
			t.Errorf("anchor %q missing: %v", a, d.Anchors)
		}
	}
	if len(d.Links) != 1 || d.Links[0].Target != "cli.md#hotplug-render" || d.Links[0].Line != 13 {
		t.Errorf("links: %+v", d.Links)
	}
	var msgs []string
	for _, f := range d.Findings {
		msgs = append(msgs, itoa(f.Line)+":"+f.Msg)
	}
	got := strings.Join(msgs, "; ")
	for _, want := range []string{"14:doctest: skip needs a reason", "17:doctest marker is not right before", "19:unknown doctest directive"} {
		if !strings.Contains(got, want) {
			t.Errorf("findings %q lack %q", got, want)
		}
	}
}

func TestCheckLinks(t *testing.T) {
	d := Parse("docs/x.md", "# Here\n[a](../README.md) [b](#here) [c](#nowhere) [d](nosuch.md) [e](../AGENTS.md#packages) [f](../AGENTS.md#nope) [g](https://example.com/x) [h](../Makefile#L3) [i](../test/docs/links.go#L1) [j](../test/docs/links.go#L20) [k](../test/docs/links.go#L99999)")
	fs := CheckLinks(repoRoot, d, parseFile)
	var got []string
	for _, f := range fs {
		got = append(got, f.Msg)
	}
	want := []string{"link to a missing heading: #nowhere", "link to a missing file: nosuch.md", "link to a missing heading: ../AGENTS.md#nope",
		"link ../test/docs/links.go#L1: line 1 is not a declaration (the code moved: point the link at it again)",
		"link ../test/docs/links.go#L99999: past the end of the file"}
	if !slices.Equal(got, want) {
		t.Fatalf("findings:\n got %q\nwant %q", got, want)
	}
}

func TestYAMLBlocks(t *testing.T) {
	const common = `apiVersion: hotplug.kubecube.io/v1
kind: Hotplug
metadata: {name: common}
spec:
  component:
  - {name: web, namespace: web, pkgName: web.tgz, status: enabled, env: "replicas: 1"}`
	for _, tc := range []struct {
		name, yaml, wantErr string
	}{
		{"fragment", "spec:\n  rollout: {strategy: Progressive}", ""},
		{"bad fragment", "spec:\n  rollout: {strategy: Progressive, maxConcurency: 2}", `unknown field "spec.rollout.maxConcurency"`},
		{"other fragment", "spec:\n  replicas: 2", ""},
		{"pair", common + "\n---\napiVersion: hotplug.kubecube.io/v1\nkind: Hotplug\nmetadata: {name: member-1}\nspec:\n  component:\n  - {name: web, status: disabled}\n  - {name: extra, pkgName: x.tgz, status: enabled, dependsOn: [web]}", ""},
		{"cluster", "apiVersion: cluster.kubecube.io/v1\nkind: Cluster\nmetadata: {name: member-1}\nspec: {isMemberCluster: true}", ""},
		{"bad yaml", "a: [1", "does not parse"},
		{"duplicate key", "a: 1\na: 2", "does not parse"},
		{"unknown field", strings.Replace(common, "pkgName:", "pkgname:", 1), `unknown field "spec.component[0].pkgname"`},
		{"unknown kind", "apiVersion: hotplug.kubecube.io/v2\nkind: Hotplug", "unknown hotplug API type"},
		{"bad env", strings.Replace(common, `"replicas: 1"`, `"a: {{.nope"`, 1), "the webhook would refuse it"},
		{"unknown dependency", common + "\n---\napiVersion: hotplug.kubecube.io/v1\nkind: Hotplug\nmetadata: {name: member-1}\nspec:\n  component:\n  - {name: extra, pkgName: x.tgz, dependsOn: [nosuch]}", "nosuch"},
		{"bad status", strings.Replace(common, "status: enabled", "status: Enabled", 1), "the webhook would refuse it"},
	} {
		var objs Objects
		fs := DecodeYAML(block("yaml", strings.Split(tc.yaml, "\n")...), 0, &objs)
		fs = append(fs, objs.Validate(context.Background(), "x.md")...)
		var msgs []string
		for _, f := range fs {
			msgs = append(msgs, f.Msg)
		}
		got := strings.Join(msgs, "; ")
		switch {
		case tc.wantErr == "" && got != "":
			t.Errorf("%s: unexpected findings: %s", tc.name, got)
		case tc.wantErr != "" && !strings.Contains(got, tc.wantErr):
			t.Errorf("%s: findings %q lack %q", tc.name, got, tc.wantErr)
		}
	}
}

func TestValuesBlock(t *testing.T) {
	r := testRepo(t)
	ok := Block{File: "x.md", Line: 1, Lang: "yaml", Values: "deploy/hotplug", Body: []string{"role: member", "pivot:", "  kubeconfigSecret: {name: x}", "image: {tag: v1}"}}
	if fs := r.checkValuesBlock(ok); len(fs) > 0 {
		t.Errorf("good values refused: %v", fs)
	}
	bad := ok
	bad.Body = []string{"role: member", "pivot:", "  kubeconfigSecrett: {name: x}"}
	fs := r.checkValuesBlock(bad)
	if len(fs) != 1 || !strings.Contains(fs[0].Msg, "pivot.kubeconfigSecrett") {
		t.Errorf("unknown key not reported: %v", fs)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestInlineCommands(t *testing.T) {
	r := testRepo(t)
	d := Parse("x.md", strings.Join([]string{
		"Run `hotplug agent --cluster-name NAME [--kubeconfig PATH]`, `hotplug rollout status [-o yaml\\|json]`,",
		"`kubectl hotplug ...`, `hotplug <command> --help`, `make generate manifests`, `hotplug enable logagent -v 2`;",
		"not `hotplug \"common\": component \"x\": bad`.",
		"`hotplug rollout statuss`, `hotplug agent --clustername X`, `make nosuch`, `hotplug renderr`, `hotplug diff -x`",
	}, "\n"))
	if len(d.Commands) != 10 {
		t.Fatalf("spans: %+v", d.Commands)
	}
	var got []string
	for _, f := range r.CheckInline(d) {
		if f.Line != 4 {
			t.Errorf("line %d: unexpected finding %s", f.Line, f.Msg)
		}
		got = append(got, f.Msg)
	}
	want := []string{
		"hotplug rollout: no subcommand statuss",
		"hotplug agent: no flag --clustername",
		"make: no target nosuch in the Makefile",
		`hotplug renderr: unknown command "renderr" for "hotplug"`,
		"hotplug diff: no flag -x",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("findings:\n got %q\nwant %q", got, want)
	}
}

// TestYAMLPairAcrossBlocks: a `common` and a cluster Hotplug shown in two
// blocks of one file are validated together, as the webhook would.
func TestYAMLPairAcrossBlocks(t *testing.T) {
	const common = "apiVersion: hotplug.kubecube.io/v1\nkind: Hotplug\nmetadata: {name: common}\nspec:\n  component:\n  - {name: web, pkgName: web.tgz, status: enabled}"
	const own = "apiVersion: hotplug.kubecube.io/v1\nkind: Hotplug\nmetadata: {name: member-1}\nspec:\n  component:\n  - {name: extra, pkgName: x.tgz, status: enabled, dependsOn: [%s]}"
	for dep, wantErr := range map[string]bool{"web": false, "nosuch": true} {
		var objs Objects
		fs := DecodeYAML(block("yaml", strings.Split(common, "\n")...), 0, &objs)
		fs = append(fs, DecodeYAML(block("yaml", strings.Split(strings.Replace(own, "%s", dep, 1), "\n")...), 1, &objs)...)
		fs = append(fs, objs.Validate(context.Background(), "x.md")...)
		if got := len(fs) > 0; got != wantErr {
			t.Errorf("dependsOn %s: findings %v, want refused %v", dep, fs, wantErr)
		}
	}
}
