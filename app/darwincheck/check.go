package darwincheck

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
)

// Result is the outcome of checking one target.
type Result struct {
	Target Target

	// Errors are the problems found in packages of the main module:
	// type errors, and files that do not parse.
	Errors []string

	// DependencyErrors are problems in packages outside the main module
	// (the standard library, darwinkit). Any of them makes the check
	// unreliable: a declaration that fails to type-check becomes an
	// invalid type, and go/types then stays silent about misuses of it
	// in our code. Callers must treat them as failures too.
	DependencyErrors []string

	// Checked lists the main-module packages that were type-checked.
	Checked []string
}

// Check type-checks the packages that patterns match in the module at
// dir, with their dependencies, for target with cgo enabled. Packages of
// the main module are checked completely. Dependencies are checked
// without their function bodies, because our calls depend only on their
// declarations, and this keeps one run to seconds. It returns an error only when the check
// could not run.
func Check(ctx context.Context, dir string, target Target, patterns ...string) (*Result, error) {
	listed, err := listPackages(ctx, dir, target, patterns)
	if err != nil {
		return nil, err
	}
	c := &checker{
		fset:    token.NewFileSet(),
		sizes:   types.SizesFor("gc", target.GOARCH),
		listed:  map[string]*listedPackage{},
		checked: map[string]*types.Package{},
		result:  &Result{Target: target},
	}
	if c.sizes == nil {
		return nil, fmt.Errorf("darwincheck: no type sizes for GOARCH %q", target.GOARCH)
	}
	for _, p := range listed {
		c.listed[p.ImportPath] = p
	}
	for _, p := range listed {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.load(p.ImportPath)
	}
	return c.result, nil
}

// checker is a source importer over go list output. It is used by one
// goroutine.
type checker struct {
	fset    *token.FileSet
	sizes   types.Sizes
	listed  map[string]*listedPackage // by import path
	checked map[string]*types.Package // by import path; nil entry while in progress
	result  *Result
}

// load type-checks the package at path once and returns it. Its
// dependencies are loaded through the importer first.
func (c *checker) load(path string) *types.Package {
	if path == "unsafe" {
		return types.Unsafe
	}
	if pkg, ok := c.checked[path]; ok {
		return pkg
	}
	p := c.listed[path]
	if p == nil {
		c.fail(false, fmt.Sprintf("%s: not in the go list output", path))
		pkg := types.NewPackage(path, filepath.Base(path))
		c.checked[path] = pkg
		return pkg
	}
	main := p.Module != nil && p.Module.Main
	c.checked[path] = nil
	pkg := c.typeCheck(p, main)
	c.checked[path] = pkg
	if main {
		c.result.Checked = append(c.result.Checked, path)
	}
	return pkg
}

// typeCheck parses and checks the files of p, reporting every error.
func (c *checker) typeCheck(p *listedPackage, main bool) *types.Package {
	if p.Error != nil {
		c.fail(main, fmt.Sprintf("%s: go list: %s", p.ImportPath, strings.TrimSpace(p.Error.Err)))
	}
	files := c.parse(p, main)
	conf := types.Config{
		Importer:         importerFunc(func(path string) (*types.Package, error) { return c.importFrom(p, path) }),
		FakeImportC:      true,
		IgnoreFuncBodies: !main,
		Sizes:            c.sizes,
		GoVersion:        goVersion(p),
		Error:            func(err error) { c.fail(main, err.Error()) },
	}
	pkg, _ := conf.Check(p.ImportPath, c.fset, files, nil)
	return pkg
}

// parse reads the Go and cgo files that go list chose for the target.
func (c *checker) parse(p *listedPackage, main bool) []*ast.File {
	mode := parser.SkipObjectResolution
	if main {
		mode |= parser.ParseComments
	}
	var files []*ast.File
	for _, name := range append(append([]string{}, p.GoFiles...), p.CgoFiles...) {
		f, err := parser.ParseFile(c.fset, filepath.Join(p.Dir, name), nil, mode)
		if err != nil {
			c.fail(main, err.Error())
		}
		if f != nil {
			files = append(files, f)
		}
	}
	return files
}

// importFrom resolves an import written in from's source, through from's
// import map (vendored standard-library packages), and loads it.
func (c *checker) importFrom(from *listedPackage, path string) (*types.Package, error) {
	if resolved, ok := from.ImportMap[path]; ok {
		path = resolved
	}
	if pkg := c.load(path); pkg != nil {
		return pkg, nil
	}
	return nil, fmt.Errorf("import cycle through %s", path)
}

// fail records an error against the main module or a dependency.
func (c *checker) fail(main bool, msg string) {
	if main {
		c.result.Errors = append(c.result.Errors, msg)
		return
	}
	c.result.DependencyErrors = append(c.result.DependencyErrors, msg)
}

// goVersion is the language version p is compiled with: its module's go
// directive, or the toolchain's for the standard library.
func goVersion(p *listedPackage) string {
	if p.Module == nil || p.Module.GoVersion == "" {
		return ""
	}
	return "go" + p.Module.GoVersion
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
