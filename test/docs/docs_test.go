// The doc test: every fenced block of README.md, AGENTS.md and docs/*.md is
// checked, so the documentation cannot drift from the code.
//
// Conventions for writers (exact markers):
//
//   - ```bash, ```sh, ```shell and ```console blocks are commands. In
//     ```console only lines starting with "$ " are commands; the other lines
//     are output. Comments (#), blank lines and here-document bodies are
//     skipped; lines ending in '\' are joined; commands are split at |, ||,
//     &&, ; and &, and the commands inside $(...) are checked too. Shell
//     keywords (if/then/fi, case WORD in PATTERN) ... esac) and the wrappers
//     watch, sudo, time and env are looked through; leading NAME=value
//     assignments and redirections are dropped.
//   - A command starting with `hotplug` (also `bin/hotplug`, `./bin/hotplug`,
//     `kubectl hotplug`) is parsed against the real cobra tree
//     (internal/cli.NewRoot): the subcommand must exist, its flags parse and
//     its positional arguments validate. `--help`/`-h`, `hotplug help ...`
//     and `hotplug render` whose -f files (and, with --manifests, whose
//     --chart-dir) are in the repository are run in-process and must exit 0.
//   - `make X Y VAR=v`: X and Y must be targets of the Makefile (or a file it
//     includes).
//   - kubectl, helm, go, git, cosign, curl and the few shell tools in
//     Allowed (commands.go) may appear; any other command fails. For
//     `helm install|upgrade ... deploy/hotplug`, every --set key must exist
//     in deploy/hotplug/values.yaml.
//   - In every command, a word containing '/' whose first element is a
//     top-level entry of the repository (charts/..., ./hack/...,
//     deploy/hotplug, config/samples/) must exist (globs must match); bin/
//     (built files), absolute paths, and words with $, <, >, { or ` are not
//     checked. Placeholders are written <like-this>. For kubectl only the
//     values of -f/--filename/-k/--kustomize/--from-file are paths
//     (deploy/hotplug-agent there is an object, not the chart).
//   - ```yaml / ```yml blocks must parse (several documents separated by
//     "---" are fine; duplicate keys are not). A document with apiVersion
//     hotplug.kubecube.io/v1 kind Hotplug, or cluster.kubecube.io/v1 kind
//     Cluster, is decoded strictly (unknown fields fail), and each Hotplug is
//     validated as the hub's admission webhook does (hub.Validate, default
//     limits) against the `common`, the cluster Hotplugs and the Clusters of
//     the same file (same block first): a `common` + cluster pair in one file
//     is validated together. A fragment holding only a Hotplug's spec (its
//     sole top-level key is spec, with component or rollout) is decoded
//     strictly as a Hotplug; other fragments only have to parse.
//   - A ```yaml block right after `<!-- values: deploy/hotplug -->` is Helm
//     values of that chart: every key must exist in its values.yaml.
//   - Inline code spans outside blocks that are a command line, `hotplug
//     SUBCOMMAND ...` (also `kubectl hotplug`, `bin/hotplug`) or `make
//     TARGET`, are checked as usage: the subcommand must exist and every
//     flag it names (brackets allowed: [--no-wait]) must be the command's;
//     make targets must exist. A span whose second word is quoted
//     (`hotplug "common": ...`, an error message) is not a command.
//   - Other languages (```text, ```go, ```mermaid, plain ```) are not checked.
//   - A block opts out only with `<!-- doctest: skip (reason) -->` right
//     before it (blank lines between are fine, a reason is required); more
//     than maxSkips (5) skips in all files fail the test. A marker not right
//     before a block, or an unknown <!-- doctest: ... --> directive, fails.
//   - Relative links ([text](docs/x.md), [text](x.md#heading), [t](#h)) must
//     lead to an existing file or directory, and an anchor into a Markdown
//     file to one of its headings (GitHub's slugs: lower case, punctuation
//     dropped, spaces to '-', repeats numbered -1, -2) or <a id="...">.
//
// Run: go test -short ./test/docs/ (part of make unit and make test); -v
// prints the counts.
package docs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubecube-io/hotplug/internal/cli"
)

// maxSkips is "a handful": a doc that needs more skips needs other examples.
const maxSkips = 5

// repoRoot is the repository, seen from this package's directory.
const repoRoot = "../.."

// Counts are what one run checked.
type Counts struct {
	ShellBlocks, Commands, RanInProcess int
	YAMLBlocks, ValuesBlocks, Objects   int
	Skipped, Unchecked, Links, Inline   int
}

func TestDocs(t *testing.T) {
	files := []string{"README.md", "AGENTS.md"}
	more, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		rel, _ := filepath.Rel(repoRoot, m)
		files = append(files, rel)
	}
	targets, err := MakeTargets(repoRoot, "Makefile")
	if err != nil {
		t.Fatal(err)
	}
	repo := Repo{Root: repoRoot, Targets: targets, NewRoot: cli.NewRoot}
	var n Counts
	var findings []Finding
	for _, f := range files {
		d, err := parseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		findings = append(findings, repo.CheckDoc(d, &n)...)
	}
	for _, f := range findings {
		t.Error(f)
	}
	if n.Skipped > maxSkips {
		t.Errorf("%d blocks skip the doc test (<!-- doctest: skip -->); at most %d", n.Skipped, maxSkips)
	}
	t.Logf("%d files: %d shell blocks (%d commands checked, %d run in-process), %d YAML blocks (%d hotplug objects or spec fragments validated, %d Helm values blocks), %d skipped, %d other blocks not checked, %d relative links, %d inline command lines",
		len(files), n.ShellBlocks, n.Commands, n.RanInProcess, n.YAMLBlocks, n.Objects, n.ValuesBlocks, n.Skipped, n.Unchecked, n.Links, n.Inline)
}

func parseFile(file string) (Doc, error) {
	data, err := os.ReadFile(filepath.Join(repoRoot, file))
	if err != nil {
		return Doc{}, err
	}
	return Parse(file, string(data)), nil
}

// CheckDoc runs every check on one file and adds to n.
func (r Repo) CheckDoc(d Doc, n *Counts) []Finding {
	out := append([]Finding(nil), d.Findings...)
	var objs Objects
	for i, b := range d.Blocks {
		switch {
		case b.Skip != "":
			n.Skipped++
		case b.Values != "" && (b.Lang == "yaml" || b.Lang == "yml"):
			n.ValuesBlocks++
			out = append(out, r.checkValuesBlock(b)...)
		case b.Values != "":
			out = append(out, Finding{b.File, b.Line, "<!-- values: --> marks a yaml block only"})
		case b.Lang == "bash" || b.Lang == "sh" || b.Lang == "shell" || b.Lang == "console":
			n.ShellBlocks++
			cmds, bad := ShellCommands(b)
			out = append(out, bad...)
			for _, c := range cmds {
				n.Commands++
				o := r.CheckCommand(b, c)
				if o.Ran {
					n.RanInProcess++
				}
				out = append(out, o.Findings...)
			}
		case b.Lang == "yaml" || b.Lang == "yml":
			n.YAMLBlocks++
			out = append(out, DecodeYAML(b, i, &objs)...)
		default:
			n.Unchecked++
		}
	}
	n.Objects += len(objs.Hotplugs) + len(objs.Clusters) + objs.Fragments
	out = append(out, objs.Validate(context.Background(), d.File)...)
	n.Links += len(d.Links)
	n.Inline += len(d.Commands)
	out = append(out, r.CheckInline(d)...)
	return append(out, CheckLinks(r.Root, d, parseFile)...)
}
