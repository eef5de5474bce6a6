package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// chartValues reads dir/values.yaml of a chart in the repository.
func (r Repo) chartValues(dir string) (map[string]any, error) {
	data, err := os.ReadFile(filepath.Join(r.Root, dir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	var v map[string]any
	// Not strict: Helm reads values.yaml leniently too.
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// UnknownValueKeys lists the key paths of given that values does not have.
// Below a key whose value in values is not a non-empty map (a scalar, a
// list, or {} meant to be filled) anything goes.
func UnknownValueKeys(values, given map[string]any) []string {
	var out []string
	var walk func(path string, known, got map[string]any)
	walk = func(path string, known, got map[string]any) {
		for k, v := range got {
			p := strings.TrimPrefix(path+"."+k, ".")
			kv, ok := known[k]
			if !ok {
				out = append(out, p)
				continue
			}
			km, kIsMap := kv.(map[string]any)
			gm, gIsMap := v.(map[string]any)
			if kIsMap && gIsMap && len(km) > 0 {
				walk(p, km, gm)
			}
		}
	}
	walk("", values, given)
	return out
}

// checkValuesBlock checks a block marked <!-- values: DIR -->: it parses,
// and every key exists in DIR/values.yaml.
func (r Repo) checkValuesBlock(b Block) []Finding {
	values, err := r.chartValues(b.Values)
	if err != nil {
		return []Finding{{b.File, b.Line, "values marker: " + err.Error()}}
	}
	var given map[string]any
	if err := yaml.UnmarshalStrict([]byte(strings.Join(b.Body, "\n")), &given); err != nil {
		return []Finding{{b.File, b.Line, "values block does not parse: " + err.Error()}}
	}
	var out []Finding
	for _, k := range sortedStrings(UnknownValueKeys(values, given)) {
		out = append(out, Finding{b.File, b.Line, "value " + k + " is not in " + b.Values + "/values.yaml"})
	}
	return out
}

// checkHelmSet checks the keys of --set options of a helm command that
// installs a chart of the repository (a directory with values.yaml).
func (r Repo) checkHelmSet(args []string) []string {
	chart := ""
	for _, a := range args {
		if !strings.HasPrefix(a, "-") && r.inRepo(filepath.Join(a, "values.yaml")) {
			chart = a
		}
	}
	if chart == "" {
		return nil
	}
	values, err := r.chartValues(chart)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for i, a := range args {
		opt, val, inline := strings.Cut(a, "=")
		if !setOpts[opt] {
			continue
		}
		if !inline {
			if i+1 == len(args) {
				continue
			}
			val = args[i+1]
		}
		for _, key := range setKeys(val) {
			if u := UnknownValueKeys(values, nested(key)); len(u) > 0 {
				out = append(out, "helm "+opt+" "+key+": not in "+chart+"/values.yaml")
			}
		}
	}
	return out
}

var setOpts = map[string]bool{"--set": true, "--set-string": true, "--set-file": true, "--set-json": true, "--set-literal": true}

var indexRe = regexp.MustCompile(`\[[0-9]+\]`)

// setKeys returns the keys of a --set argument (a=1,b.c={x,y}), indices
// dropped.
func setKeys(s string) []string {
	var keys []string
	for s != "" {
		k, rest, ok := strings.Cut(s, "=")
		keys = append(keys, indexRe.ReplaceAllString(k, ""))
		if !ok {
			break
		}
		depth, i := 0, 0
		for ; i < len(rest); i++ {
			switch rest[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			case '\\':
				i++
			}
			if i < len(rest) && rest[i] == ',' && depth == 0 {
				break
			}
		}
		if i >= len(rest) {
			break
		}
		s = rest[i+1:]
	}
	return keys
}

// nested turns a.b.c (\. escaped) into {a: {b: {c: ""}}}.
func nested(key string) map[string]any {
	parts := strings.Split(strings.ReplaceAll(key, `\.`, "\x00"), ".")
	var v any = ""
	for i := len(parts) - 1; i >= 0; i-- {
		v = map[string]any{strings.ReplaceAll(parts[i], "\x00", "."): v}
	}
	m, _ := v.(map[string]any)
	return m
}
