package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"text/template"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

//go:embed configuration_intro.md.tmpl
var introTemplate string

// crdSource is one CRD file: its repository path (named in the page) and
// its content.
type crdSource struct {
	Path string
	YAML []byte
}

// configurationMarkdown renders the configuration reference: the intro
// template, then per CRD (in the given order) and per served version one
// section with a table for each object level of its openAPIV3Schema; then
// the table of the API's annotation and label keys.
func configurationMarkdown(crds []crdSource, keys []keyConst) (string, error) {
	tmpl, err := template.New("intro").Parse(introTemplate)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	paths := make([]string, 0, len(crds))
	for _, c := range crds {
		paths = append(paths, c.Path)
	}
	if err := tmpl.Execute(&buf, struct{ Sources []string }{paths}); err != nil {
		return "", err
	}
	for _, c := range crds {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(c.YAML, &crd); err != nil {
			return "", fmt.Errorf("%s: %w", c.Path, err)
		}
		writeCRD(&buf, &crd)
	}
	if len(keys) > 0 {
		writeAnnotations(&buf, keys)
	}
	return strings.TrimRight(buf.String(), "\n") + "\n", nil
}

// writeCRD writes one CRD's sections.
func writeCRD(buf *bytes.Buffer, crd *apiextensionsv1.CustomResourceDefinition) {
	for _, v := range crd.Spec.Versions {
		if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		s := v.Schema.OpenAPIV3Schema
		kind := crd.Spec.Names.Kind
		fmt.Fprintf(buf, "\n## %s\n\n", kind)
		fmt.Fprintf(buf, "`%s/%s`, kind `%s`, %s-scoped", crd.Spec.Group, v.Name, kind, strings.ToLower(string(crd.Spec.Scope)))
		if len(crd.Spec.Names.ShortNames) > 0 {
			fmt.Fprintf(buf, ", short name `%s`", strings.Join(crd.Spec.Names.ShortNames, "`, `"))
		}
		fmt.Fprintf(buf, ". %s\n", cell(s.Description))
		writeLevels(buf, kind, "", s)
	}
}

// writeLevels writes the table of the object at path (its properties), then
// the tables of its nested objects, depth-first in property name order, so
// that a reader meets a field before its parts.
func writeLevels(buf *bytes.Buffer, kind, path string, s *apiextensionsv1.JSONSchemaProps) {
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	title := path
	if title == "" {
		title = kind
	}
	fmt.Fprintf(buf, "\n### `%s`\n\n", title)
	buf.WriteString("| field | type | constraints | description |\n| --- | --- | --- | --- |\n")
	type level struct {
		path   string
		schema *apiextensionsv1.JSONSchemaProps
	}
	var nested []level
	for _, n := range names {
		p := s.Properties[n]
		fp := join(path, n)
		desc := p.Description
		if desc == "" && fp == "metadata" {
			// controller-gen never describes metadata.
			desc = "Standard Kubernetes object metadata: name, labels, annotations (see below)."
		}
		fmt.Fprintf(buf, "| `%s` | %s | %s | %s |\n", fp, typeOf(&p), constraints(&p, slices.Contains(s.Required, n)), cell(desc))
		if obj, sub := objectOf(&p, fp); obj != nil {
			nested = append(nested, level{sub, obj})
		}
	}
	for _, l := range nested {
		writeLevels(buf, kind, l.path, l.schema)
	}
}

// objectOf returns the object schema below a field, if any, and its path:
// the field itself, or its items for a list of objects ("x[]").
func objectOf(p *apiextensionsv1.JSONSchemaProps, path string) (*apiextensionsv1.JSONSchemaProps, string) {
	switch {
	case p.Type == "object" && len(p.Properties) > 0:
		return p, path
	case p.Type == "array" && p.Items != nil && p.Items.Schema != nil && len(p.Items.Schema.Properties) > 0:
		return p.Items.Schema, path + "[]"
	}
	return nil, ""
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// typeOf names a field's type: a scalar type (with its format), []T for a
// list, map[string]T for a map, "int or string", or "any" for a field whose
// content the API server keeps as given.
func typeOf(p *apiextensionsv1.JSONSchemaProps) string {
	switch {
	case p.XIntOrString:
		return "int or string"
	case p.XPreserveUnknownFields != nil && *p.XPreserveUnknownFields:
		return "any"
	case p.Type == "array" && p.Items != nil && p.Items.Schema != nil:
		return "[]" + typeOf(p.Items.Schema)
	case p.Type == "object" && p.AdditionalProperties != nil && p.AdditionalProperties.Schema != nil:
		return "map[string]" + typeOf(p.AdditionalProperties.Schema)
	case p.Format != "":
		return p.Type + " (" + p.Format + ")"
	case p.Type == "":
		return "any"
	}
	return p.Type
}

// constraints lists what the API server enforces on a field, in a fixed
// order; a list of scalars also shows its items' constraints.
func constraints(p *apiextensionsv1.JSONSchemaProps, required bool) string {
	var out []string
	if required {
		out = append(out, "**required**")
	}
	out = append(out, scalarConstraints(p)...)
	if p.MinItems != nil {
		out = append(out, fmt.Sprintf("min %d items", *p.MinItems))
	}
	if p.MaxItems != nil {
		out = append(out, fmt.Sprintf("max %d items", *p.MaxItems))
	}
	if p.XListType != nil {
		lt := "list: " + *p.XListType
		if len(p.XListMapKeys) > 0 {
			lt += " keyed by `" + strings.Join(p.XListMapKeys, "`, `") + "`"
		}
		out = append(out, lt)
	}
	if p.Type == "array" && p.Items != nil && p.Items.Schema != nil {
		if items := scalarConstraints(p.Items.Schema); len(items) > 0 {
			out = append(out, "each item: "+strings.Join(items, ", "))
		}
	}
	for _, v := range p.XValidations {
		out = append(out, "rule: `"+v.Rule+"`")
	}
	if len(out) == 0 {
		return ""
	}
	return strings.ReplaceAll(strings.Join(out, "<br>"), "|", `\|`)
}

// scalarConstraints are the constraints of one value: enum, default, range,
// length and pattern.
func scalarConstraints(p *apiextensionsv1.JSONSchemaProps) []string {
	var out []string
	if len(p.Enum) > 0 {
		vals := make([]string, 0, len(p.Enum))
		for _, e := range p.Enum {
			vals = append(vals, "`"+strings.Trim(string(e.Raw), `"`)+"`")
		}
		out = append(out, "one of "+strings.Join(vals, ", "))
	}
	if p.Default != nil {
		out = append(out, "default `"+string(p.Default.Raw)+"`")
	}
	if p.Minimum != nil {
		out = append(out, fmt.Sprintf("min %g", *p.Minimum))
	}
	if p.Maximum != nil {
		out = append(out, fmt.Sprintf("max %g", *p.Maximum))
	}
	if p.MinLength != nil {
		out = append(out, fmt.Sprintf("min length %d", *p.MinLength))
	}
	if p.MaxLength != nil {
		out = append(out, fmt.Sprintf("max length %d", *p.MaxLength))
	}
	if p.Pattern != "" {
		out = append(out, "pattern `"+p.Pattern+"`")
	}
	return out
}

// cell makes a description fit one table cell: lines of a paragraph are
// joined, paragraphs separated by <br>, '|' escaped, and '<' and '>'
// outside code spans written as entities so that a placeholder such as
// hotplug-cluster-<cluster> is not taken for HTML.
func cell(desc string) string {
	paras := strings.Split(strings.TrimSpace(desc), "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	s := strings.Join(paras, "<br>")
	var b strings.Builder
	inCode := false
	for _, r := range s {
		switch {
		case r == '`':
			inCode = !inCode
			b.WriteRune(r)
		case r == '|':
			b.WriteString(`\|`)
		case r == '<' && !inCode:
			b.WriteString("&lt;")
		case r == '>' && !inCode:
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	// The <br> separators were escaped with the rest; put them back.
	return strings.ReplaceAll(out, "&lt;br&gt;", "<br>")
}
