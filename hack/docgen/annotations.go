package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// annotationsDir holds the API's annotation and label constants.
const annotationsDir = "api/hotplug/v1"

// keyConst is one annotation or label key of the API with its doc comment.
type keyConst struct {
	Name, Key, Doc string
}

// annotationKeys reads the exported string constants of the Go files in dir
// whose names end in Annotation or Label, sorted by key.
func annotationKeys(dir string) ([]keyConst, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var out []keyConst
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || strings.HasPrefix(n, "zz_") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		out = append(out, fileKeys(f)...)
	}
	slices.SortFunc(out, func(a, b keyConst) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// fileKeys returns the annotation and label constants declared in f.
func fileKeys(f *ast.File) []keyConst {
	var out []keyConst
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			doc := vs.Doc
			if doc == nil {
				doc = gd.Doc
			}
			for i, name := range vs.Names {
				if !isKeyConst(name) || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				key, err := strconv.Unquote(lit.Value)
				if err != nil {
					continue
				}
				out = append(out, keyConst{Name: name.Name, Key: key, Doc: doc.Text()})
			}
		}
	}
	return out
}

// isKeyConst: an exported constant named ...Annotation or ...Label.
func isKeyConst(name *ast.Ident) bool {
	return name.IsExported() && (strings.HasSuffix(name.Name, "Annotation") || strings.HasSuffix(name.Name, "Label"))
}

// writeAnnotations writes the section on annotation and label keys.
func writeAnnotations(buf *bytes.Buffer, keys []keyConst) {
	fmt.Fprintf(buf, "\n## Annotations and labels\n\nFrom the constants in `%s` and their doc comments.\n\n", annotationsDir)
	buf.WriteString("| key | constant | meaning |\n| --- | --- | --- |\n")
	for _, k := range keys {
		fmt.Fprintf(buf, "| `%s` | `%s` | %s |\n", k.Key, k.Name, cell(k.Doc))
	}
}
