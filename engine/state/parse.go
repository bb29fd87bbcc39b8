package state

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// Parse decodes and validates a state file. It is strict, because a
// misspelt field silently ignored would look like a setting that does not
// work:
//   - the content is one JSON object and nothing after it;
//   - field names match exactly, including case, and appear once;
//   - a version above Version is rejected with a request to upgrade;
//   - the result passes [State.Validate].
//
// Every error wraps ErrInvalid. Errors about one value also wrap a
// *FieldError that names the field path, such as
// "peers[2].routes[0].direct".
func Parse(data []byte) (*State, error) {
	s, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return s, nil
}

func parse(data []byte) (*State, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fieldError("", "", fmt.Sprintf("the file is empty: write {\"version\": %d}, or delete the file to start from an empty state", Version))
	}

	// A newer file may use fields this build does not know, so the version
	// is checked before the field names.
	if err := checkNewer(data); err != nil {
		return nil, err
	}
	if err := checkShape(data); err != nil {
		return nil, err
	}

	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("internal error: decoding a checked state failed: %w", err)
	}
	s.normalize()

	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// checkNewer rejects a file whose version is above Version. It ignores
// every other problem, which checkShape reports.
func checkNewer(data []byte) error {
	var head struct {
		Version json.Number `json:"version"`
	}
	if json.Unmarshal(data, &head) != nil {
		return nil
	}

	v, err := strconv.ParseInt(string(head.Version), 10, 64)
	if err == nil && v > Version {
		return fieldError("version", string(head.Version),
			fmt.Sprintf("this build reads version %d only, and a newer Portals wrote this file: upgrade Portals", Version))
	}
	return nil
}

// normalize replaces empty lists with nil, so that a parsed state equals
// the state parsed from its own encoding (which omits empty lists).
func (s *State) normalize() {
	if len(s.Listen) == 0 {
		s.Listen = nil
	}
	if len(s.Relays) == 0 {
		s.Relays = nil
	}
	if len(s.Peers) == 0 {
		s.Peers = nil
	}
	if len(s.Services) == 0 {
		s.Services = nil
	}
	if len(s.Inlets) == 0 {
		s.Inlets = nil
	}
	for i := range s.Services {
		if len(s.Services[i].Access) == 0 {
			s.Services[i].Access = nil
		}
		if len(s.Services[i].Invitations) == 0 {
			s.Services[i].Invitations = nil
		}
		for j := range s.Services[i].Invitations {
			if len(s.Services[i].Invitations[j].RedeemedBy) == 0 {
				s.Services[i].Invitations[j].RedeemedBy = nil
			}
		}
	}
}

// checkShape walks the JSON tokens of data alongside the State type. It
// reports syntax errors by line and column, and unknown, repeated or
// mistyped fields and bad identifiers by field path. encoding/json cannot do
// this itself: it matches names without regard to case, lets a repeated
// name win, and reports neither the path of an unknown field nor that of a
// failed UnmarshalText.
func checkShape(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := &walker{dec: dec, data: data}

	if err := w.value(reflect.TypeFor[State](), ""); err != nil {
		return err
	}

	if _, err := dec.Token(); err != io.EOF {
		line, col := w.position()
		return fieldError("", "", fmt.Sprintf("unexpected data after the JSON object at line %d, column %d: remove it", line, col))
	}
	return nil
}

// walker reads JSON tokens and checks them against a Go type.
type walker struct {
	dec  *json.Decoder
	data []byte
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// value checks the next JSON value against t. The State types contain no
// recursion, so the depth is bounded by the type, not by the input.
func (w *walker) value(t reflect.Type, path string) error {
	switch {
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		return w.text(t, path)
	case t.Kind() == reflect.Struct:
		return w.object(t, path)
	case t.Kind() == reflect.Slice:
		return w.array(t, path)
	case t.Kind() == reflect.String:
		_, err := w.scalar(path, "a string")
		return err
	case t.Kind() == reflect.Int:
		return w.integer(path)
	}
	return fmt.Errorf("internal error: state field %s has unsupported type %s", path, t)
}

func (w *walker) object(t reflect.Type, path string) error {
	if err := w.delim('{', path, "an object"); err != nil {
		return err
	}

	fields := jsonFields(t)
	seen := map[string]bool{}
	for w.dec.More() {
		key, err := w.token()
		if err != nil {
			return err
		}
		name, _ := key.(string)
		fieldPath := joinPath(path, name)

		field, ok := fields[name]
		if !ok {
			return fieldError(fieldPath, "", fmt.Sprintf("unknown field: check its spelling and case, or remove it (this build reads state version %d)", Version))
		}
		if seen[name] {
			return fieldError(fieldPath, "", "the field appears twice: keep one")
		}
		seen[name] = true

		if err := w.value(field, fieldPath); err != nil {
			return err
		}
	}
	_, err := w.token()
	return err
}

func (w *walker) array(t reflect.Type, path string) error {
	tok, err := w.token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('[') {
		return w.mistyped(path, tok, "a list in [brackets]")
	}

	for i := 0; w.dec.More(); i++ {
		if err := w.value(t.Elem(), indexPath(path, i)); err != nil {
			return err
		}
	}
	_, err = w.token()
	return err
}

func (w *walker) text(t reflect.Type, path string) error {
	text, err := w.scalar(path, "a string")
	if err != nil {
		return err
	}

	target := reflect.New(t).Interface().(encoding.TextUnmarshaler)
	if err := target.UnmarshalText([]byte(text)); err != nil {
		return fieldError(path, text, err.Error()+": copy the full identifier again from where it came from")
	}
	return nil
}

func (w *walker) integer(path string) error {
	tok, err := w.token()
	if err != nil {
		return err
	}
	number, ok := tok.(json.Number)
	if !ok {
		return w.mistyped(path, tok, "a whole number")
	}
	if _, err := strconv.ParseInt(string(number), 10, 32); err != nil {
		return fieldError(path, string(number), "not a whole number in range: write a number such as 1")
	}
	return nil
}

// scalar reads a string token.
func (w *walker) scalar(path, want string) (string, error) {
	tok, err := w.token()
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", w.mistyped(path, tok, want)
	}
	return s, nil
}

func (w *walker) delim(d json.Delim, path, want string) error {
	tok, err := w.token()
	if err != nil {
		return err
	}
	if tok != d {
		return w.mistyped(path, tok, want)
	}
	return nil
}

// token reads the next token and turns a syntax error into a message with
// its line and column.
func (w *walker) token() (json.Token, error) {
	tok, err := w.dec.Token()
	if err == nil {
		return tok, nil
	}

	line, col := w.position()
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		line, col = lineCol(w.data, syntax.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("the file ends in the middle of a value")
	}
	return nil, fieldError("", "", fmt.Sprintf("invalid JSON at line %d, column %d: %v: fix the syntax (a missing comma, quote or bracket)", line, col, err))
}

// mistyped reports a token of the wrong JSON type.
func (w *walker) mistyped(path string, tok json.Token, want string) error {
	return fieldError(path, tokenText(tok), "wrong type: write "+want)
}

// position returns the line and column of the decoder's input offset.
func (w *walker) position() (int, int) {
	return lineCol(w.data, w.dec.InputOffset())
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, offset int64) (int, int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// tokenText renders a token for an error message.
func tokenText(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return string(v)
	case nil:
		return "null"
	default:
		return fmt.Sprint(v)
	}
}

// jsonFields maps the JSON names of the fields of struct type t to their
// types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		fields[name] = f.Type
	}
	return fields
}
