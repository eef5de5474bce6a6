package main

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestSectionLink(t *testing.T) {
	if got := sectionLink("hotplug_rollout_undo.md"); got != "#hotplug-rollout-undo" {
		t.Fatalf("sectionLink = %q", got)
	}
}

func TestCellEscapesTableAndHTML(t *testing.T) {
	got := cell("Lease hotplug-cluster-<cluster>, `a|b <c>`\nnext line.\n\nSecond paragraph.")
	want := "Lease hotplug-cluster-&lt;cluster&gt;, `a\\|b <c>` next line.<br>Second paragraph."
	if got != want {
		t.Fatalf("cell:\n got %q\nwant %q", got, want)
	}
}

// TestCLIMarkdownIsReproducible: the page carries no date and links within
// itself, so make verify can compare it byte for byte.
func TestCLIMarkdownIsReproducible(t *testing.T) {
	tree := func() *cobra.Command {
		root := &cobra.Command{Use: "hotplug", Short: "root"}
		root.AddCommand(&cobra.Command{Use: "render", Short: "render it", Run: func(*cobra.Command, []string) {}})
		return root
	}
	a, err := cliMarkdown(tree())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := cliMarkdown(tree())
	if a != b {
		t.Fatal("two runs differ")
	}
	for _, want := range []string{"## hotplug render", "(#hotplug-render)", "do not edit"} {
		if !strings.Contains(a, want) {
			t.Errorf("page lacks %q:\n%s", want, a)
		}
	}
	if strings.Contains(a, "Auto generated") {
		t.Error("page has cobra's date footer")
	}
}

// TestConfigurationMarkdownListsEveryLevel renders the real Hotplug CRD and
// checks a nested table and the constraints of a field.
func TestConfigurationMarkdownListsEveryLevel(t *testing.T) {
	data, err := os.ReadFile("../../" + crdFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	keys, err := annotationKeys("../../" + annotationsDir)
	if err != nil {
		t.Fatal(err)
	}
	page, err := configurationMarkdown([]crdSource{{Path: crdFiles[0], YAML: data}}, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### `spec.component[].driftIgnore[].target`",
		"| `spec.component[].name` | string | **required**<br>min length 1<br>max length 53<br>pattern",
		"one of `All`, `Progressive`",
		"`null` is removed",
		"| `kubecube.io/sync` | `SyncAnnotation` | SyncAnnotation marks a Hotplug",
		"| `metadata` | object |  | Standard Kubernetes object metadata",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
