package docs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Allowed are the commands a shell block may use besides hotplug, make and
// the tools of the allowed list; their repository paths are checked too.
var Allowed = []string{"kubectl", "helm", "go", "git", "cosign", "curl",
	// shell and text tools the docs use around them
	"echo", "export", "cd", "pwd", "jq", "base64", "ln", "cat", "docker"}

// wrappers run the command that follows them (after their own flags); that
// command is checked.
var wrappers = map[string]bool{"watch": true, "sudo": true, "time": true, "env": true}

// kubectlFileFlags are kubectl's options whose value is a local path; its
// other words (deploy/NAME, ...) name API objects, not files.
var kubectlFileFlags = map[string]bool{"-f": true, "--filename": true, "-k": true, "--kustomize": true, "--from-file": true, "--from-env-file": true}

// Repo is what commands are checked against.
type Repo struct {
	// Root is the repository's directory.
	Root string
	// Targets are the Makefile's targets.
	Targets map[string]bool
	// NewRoot builds hotplug's command tree (cli.NewRoot).
	NewRoot func() *cobra.Command
}

// Outcome is what checking one command did.
type Outcome struct {
	// Ran is true when the command was executed in-process.
	Ran      bool
	Findings []Finding
}

// CheckCommand checks one command of b: hotplug commands against the
// command tree (and runs the safe ones), make targets against the Makefile,
// repository paths against the tree, anything else against Allowed.
func (r Repo) CheckCommand(b Block, c Command) Outcome {
	var out Outcome
	fail := func(msg string) { out.Findings = append(out.Findings, Finding{b.File, c.Line, msg}) }
	for _, v := range c.Assigns {
		if msg := r.checkPath(v); msg != "" {
			fail(msg)
		}
	}
	if len(c.Words) == 0 {
		return out
	}
	name, args := c.Words[0], c.Words[1:]
	for wrappers[name] && len(args) > 0 {
		for len(args) > 1 && strings.HasPrefix(args[0], "-") {
			args = args[1:]
			if len(args) > 1 && !strings.HasPrefix(args[0], "-") && strings.Trim(args[0], "0123456789.") == "" {
				args = args[1:] // an option's number, as watch -n 5
			}
		}
		name, args = args[0], args[1:]
	}
	if name == "kubectl" && len(args) > 0 && args[0] == "hotplug" {
		name, args = "hotplug", args[1:]
	}
	switch {
	case name == "hotplug" || name == "bin/hotplug" || name == "./bin/hotplug":
		ran, msg := r.checkHotplug(args)
		out.Ran = ran
		if msg != "" {
			fail(msg)
		}
		return out
	case name == "make":
		for _, a := range args {
			if strings.HasPrefix(a, "-") || strings.Contains(a, "=") {
				continue
			}
			if !r.Targets[a] {
				fail("make: no target " + a + " in the Makefile")
			}
		}
	case !slices.Contains(Allowed, name):
		fail("command " + name + " is neither hotplug, make nor in the allowed list (test/docs Allowed)")
	}
	for _, a := range pathWords(name, args) {
		if msg := r.checkPath(a); msg != "" {
			fail(msg)
		}
	}
	if name == "helm" {
		for _, msg := range r.checkHelmSet(args) {
			fail(msg)
		}
	}
	return out
}

// pathWords are the words of a command that may name local files: for
// kubectl only the values of its file options, for the others every word.
func pathWords(name string, args []string) []string {
	if name != "kubectl" {
		return args
	}
	var out []string
	for i, a := range args {
		opt, val, inline := strings.Cut(a, "=")
		switch {
		case !kubectlFileFlags[opt]:
		case inline:
			out = append(out, val)
		case i+1 < len(args):
			out = append(out, args[i+1])
		}
	}
	return out
}

// checkPath reports a word that names a path in the repository (its first
// element is a top-level entry of it; "bin" holds built files and does not
// count) that does not exist. Words with shell expansions or placeholders
// are not paths; a --flag=value word is checked by its value.
func (r Repo) checkPath(w string) string {
	if strings.HasPrefix(w, "-") {
		_, v, ok := strings.Cut(w, "=")
		if !ok {
			return ""
		}
		w = v
	}
	if strings.ContainsAny(w, "$<>{}`") || !strings.Contains(w, "/") || filepath.IsAbs(w) {
		return ""
	}
	rel := filepath.Clean(strings.TrimPrefix(w, "./"))
	first := strings.Split(rel, string(filepath.Separator))[0]
	if first == "bin" || first == ".." || first == "." {
		return ""
	}
	if _, err := os.Stat(filepath.Join(r.Root, first)); err != nil {
		return "" // not the repository's (e.g. ./helmchartpkg, a user's directory)
	}
	if strings.ContainsAny(rel, "*?[") {
		if m, _ := filepath.Glob(filepath.Join(r.Root, rel)); len(m) == 0 {
			return "no file in the repository matches " + w
		}
		return ""
	}
	if _, err := os.Stat(filepath.Join(r.Root, rel)); err != nil {
		return "no such path in the repository: " + w
	}
	return ""
}

// checkHotplug parses args against the command tree: the subcommand must
// exist, its flags parse, its positional arguments validate. Help, and
// render on files of the repository, are run in-process and must exit 0.
func (r Repo) checkHotplug(args []string) (ran bool, msg string) {
	root := r.newRoot()
	cmd, rest, err := root.Find(args)
	if err != nil {
		return false, "hotplug " + strings.Join(args, " ") + ": " + firstLine(err)
	}
	cmd.InitDefaultHelpFlag()
	if err := cmd.ParseFlags(rest); err != nil {
		return false, cmd.CommandPath() + ": " + err.Error()
	}
	help, _ := cmd.Flags().GetBool("help")
	if !help && cmd.Name() != "help" {
		if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
			return false, cmd.CommandPath() + ": " + err.Error()
		}
	}
	for _, a := range args {
		if msg := r.checkPath(a); msg != "" {
			return false, msg
		}
	}
	if !help && cmd.Name() != "help" && !r.renderable(cmd) {
		return false, ""
	}
	run := r.newRoot()
	var stdout, stderr bytes.Buffer
	run.SetOut(&stdout)
	run.SetErr(&stderr)
	// The test runs in its package's directory; paths are the repository's.
	inRepoArgs := make([]string, len(args))
	for i, a := range args {
		inRepoArgs[i] = a
		if strings.Contains(a, "/") && r.inRepo(a) {
			inRepoArgs[i] = filepath.Join(r.Root, a)
		}
	}
	run.SetArgs(inRepoArgs)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run.ExecuteContext(ctx); err != nil {
		return true, "hotplug " + strings.Join(args, " ") + " failed: " + err.Error() + "\n" + stdout.String() + stderr.String()
	}
	return true, ""
}

func (r Repo) newRoot() *cobra.Command {
	root := r.NewRoot()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpFlag()
	return root
}

// renderable: `hotplug render` whose files are all in the repository, and,
// with --manifests, whose chart directory is too: offline and fast.
func (r Repo) renderable(cmd *cobra.Command) bool {
	if cmd.Name() != "render" || cmd.Parent() == nil || cmd.Parent().HasParent() {
		return false
	}
	files, err := cmd.Flags().GetStringArray("filename")
	if err != nil || len(files) == 0 {
		return false
	}
	for _, f := range files {
		if !r.inRepo(f) {
			return false
		}
	}
	if m, _ := cmd.Flags().GetBool("manifests"); m {
		dir, _ := cmd.Flags().GetString("chart-dir")
		return r.inRepo(dir)
	}
	return true
}

func (r Repo) inRepo(p string) bool {
	if filepath.IsAbs(p) {
		return false
	}
	_, err := os.Stat(filepath.Join(r.Root, p))
	return err == nil
}

// MakeTargets reads the targets of a Makefile and of the files it includes.
func MakeTargets(root, makefile string) (map[string]bool, error) {
	targets := map[string]bool{}
	files := []string{makefile}
	for len(files) > 0 {
		data, err := os.ReadFile(filepath.Join(root, files[0]))
		files = files[1:]
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(string(data), "\n") {
			if m := includeRe.FindStringSubmatch(l); m != nil {
				files = append(files, strings.Fields(m[1])...)
				continue
			}
			m := targetRe.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			for _, t := range strings.Fields(m[1]) {
				if !strings.HasPrefix(t, ".") {
					targets[t] = true
				}
			}
		}
	}
	return targets, nil
}

var (
	includeRe = regexp.MustCompile(`^-?include\s+(.+)$`)
	targetRe  = regexp.MustCompile(`^([A-Za-z0-9_.%/-]+(?:\s+[A-Za-z0-9_.%/-]+)*)\s*:(?:[^=]|$)`)
)

// firstLine is an error's first line: cobra adds suggestions below it.
func firstLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}
