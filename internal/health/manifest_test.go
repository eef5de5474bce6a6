package health

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/limits"
)

const releaseManifest = `---
# Source: logseer/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: logseer
  labels: {app: logseer}
spec:
  ports: [{port: 80}]
---
# Source: logseer/templates/clusterrole.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: logseer
---
# Source: logseer/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: logseer
  namespace: logseer
  annotations:
    note: "a & b"
---
# Source: logseer/templates/empty.yaml
# nothing rendered here
---
# Source: logseer/templates/test.yaml
apiVersion: v1
kind: Pod
metadata:
  name: logseer-test
  annotations:
    helm.sh/hook: test
---
apiVersion: v1
kind: ConfigMapList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: b}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: a}
---
apiVersion: batch/v1
kind: Job
metadata:
  generateName: migrate-
---
apiVersion: v1
kind: Service
metadata:
  name: logseer
`

func TestObjects(t *testing.T) {
	refs, err := Objects(releaseManifest)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, r.GroupVersionKind.String()+" "+r.String())
	}
	want := []string{
		"rbac.authorization.k8s.io/v1, Kind=ClusterRole ClusterRole logseer",
		"/v1, Kind=ConfigMap ConfigMap a",
		"/v1, Kind=ConfigMap ConfigMap b",
		"apps/v1, Kind=Deployment Deployment logseer/logseer",
		"/v1, Kind=Service Service logseer",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Objects() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestObjectsErrors(t *testing.T) {
	bomb := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: &a [" + strings.Repeat(`"xxxxxxxxxxxxxxxx",`, 100) + "]\n"
	prev := "a"
	for i := range 8 {
		bomb += fmt.Sprintf("  l%d: &l%d [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", i, i, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = fmt.Sprintf("l%d", i)
	}
	tests := []struct {
		name, manifest, want string
		exceeded             bool
	}{
		{"no kind", "# Source: c/templates/x.yaml\napiVersion: v1\nmetadata: {name: x}\n", "document 1 (c/templates/x.yaml): object has no kind", false},
		{"no apiVersion", "---\nkind: ConfigMap\nmetadata: {name: x}\n", "document 1: object has no apiVersion", false},
		{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n# Source: c/templates/y.yaml\napiVersion: v1\nkind: Secret\nmetadata: {}\n", "document 2 (c/templates/y.yaml): Secret has no metadata.name", false},
		{"syntax", "apiVersion: v1\nkind: [\n", "document 1", false},
		{"alias bomb", bomb, "alias expansion", true},
		{"too large", strings.Repeat(" ", MaxManifestBytes+1), "more than", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Objects(tt.manifest)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if got := errors.Is(err, limits.ErrExceeded); got != tt.exceeded {
				t.Errorf("errors.Is(err, ErrExceeded) = %v, want %v (%v)", got, tt.exceeded, err)
			}
		})
	}
}

func TestObjectsTooMany(t *testing.T) {
	var b strings.Builder
	for i := range MaxObjects + 1 {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\n", i)
	}
	if _, err := Objects(b.String()); !errors.Is(err, limits.ErrExceeded) {
		t.Fatalf("got %v, want ErrExceeded", err)
	}
}

func TestScoped(t *testing.T) {
	tests := []struct {
		in         ObjectRef
		namespaced bool
		want       string
	}{
		{ref("", "Service", "", "s"), true, "rel"},
		{ref("", "Service", "other", "s"), true, "other"},
		{ref("rbac.authorization.k8s.io", "ClusterRole", "", "r"), false, ""},
		{ref("rbac.authorization.k8s.io", "ClusterRole", "written", "r"), false, ""},
	}
	for _, tt := range tests {
		if got := scoped(tt.in, tt.namespaced, "rel"); got.Namespace != tt.want {
			t.Errorf("scoped(%s, %v) namespace = %q, want %q", tt.in, tt.namespaced, got.Namespace, tt.want)
		}
	}
}

// BenchmarkObjects measures a manifest of 200 small objects.
func BenchmarkObjects(b *testing.B) {
	var sb strings.Builder
	for i := range 200 {
		fmt.Fprintf(&sb, "---\n# Source: c/templates/t%d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d%d\n  labels: {app: x}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers: [{name: app, image: nginx}]\n", i, i)
	}
	m := sb.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Objects(m); err != nil {
			b.Fatal(err)
		}
	}
}
