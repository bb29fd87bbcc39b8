package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"strings"
)

// dataVersion is the version of the stored JSON layout written by this
// package. Decoding rejects any other version.
const dataVersion = 1

// storedData is the JSON layout of all secrets of one state directory, in the
// vault file and in the keyring item alike:
//
//	{"version": 1, "secrets": {"identity.ed25519": "<base64>"}}
//
// Values use standard base64 with padding (RFC 4648, section 4).
type storedData struct {
	Version int                `json:"version"`
	Secrets *map[string]string `json:"secrets"`
}

// checkName returns an error wrapping ErrInvalidName unless name is 1 to
// MaxNameLength characters from a-z, 0-9, '.', '_' and '-'.
func checkName(name string) error {
	if isValidName(name) {
		return nil
	}
	return fmt.Errorf("%w %s: use 1 to %d characters from a-z, 0-9, '.', '_' and '-'",
		ErrInvalidName, quoteName(name), MaxNameLength)
}

func isValidName(name string) bool {
	if name == "" || len(name) > MaxNameLength {
		return false
	}
	for _, c := range []byte(name) {
		isLower := c >= 'a' && c <= 'z'
		isDigit := c >= '0' && c <= '9'
		if !isLower && !isDigit && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// quoteName quotes a name given by a caller for an error message, cut to
// MaxNameLength bytes so that a runaway argument cannot flood the message.
func quoteName(name string) string {
	if len(name) <= MaxNameLength {
		return fmt.Sprintf("%q", name)
	}
	return fmt.Sprintf("%q... (%d bytes)", name[:MaxNameLength], len(name))
}

// checkSecretSize returns an error wrapping ErrTooLarge when secret exceeds
// MaxSecretSize. The message gives the size, never the value.
func checkSecretSize(name string, secret []byte, where string) error {
	if len(secret) <= MaxSecretSize {
		return nil
	}
	return fmt.Errorf("%w: secret %q is %d bytes, over the %d-byte maximum of the %s",
		ErrTooLarge, name, len(secret), MaxSecretSize, where)
}

// withSecret returns a copy of secrets in which name maps to a copy of secret.
func withSecret(secrets map[string][]byte, name string, secret []byte) map[string][]byte {
	updated := maps.Clone(secrets)
	if updated == nil {
		updated = map[string][]byte{}
	}
	updated[name] = bytes.Clone(secret)
	if updated[name] == nil {
		updated[name] = []byte{}
	}
	return updated
}

// encodeData returns the JSON layout of secrets, compact or indented for
// people who read the vault file. It returns an error wrapping ErrTooLarge
// when the compact form exceeds MaxDataSize, whichever form is requested.
func encodeData(secrets map[string][]byte, indent bool, where string) ([]byte, error) {
	encoded := make(map[string]string, len(secrets))
	for name, secret := range secrets {
		encoded[name] = base64.StdEncoding.EncodeToString(secret)
	}
	data := storedData{Version: dataVersion, Secrets: &encoded}

	compact, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("vault: encoding the secrets of the %s failed: %w", where, err)
	}
	if len(compact) > MaxDataSize {
		return nil, fmt.Errorf("%w: the %s would hold %d bytes of data, over the %d-byte maximum: delete secrets that are no longer needed",
			ErrTooLarge, where, len(compact), MaxDataSize)
	}
	if !indent {
		return compact, nil
	}

	indented, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("vault: encoding the secrets of the %s failed: %w", where, err)
	}
	return append(indented, '\n'), nil
}

// decodeData parses the JSON layout written by encodeData. Its errors
// describe the problem by position and never quote the stored bytes, which
// may contain secrets, nor stored names, which may be secrets pasted into the
// wrong place by hand. The caller adds where the data came from.
func decodeData(raw []byte) (map[string][]byte, error) {
	var data storedData
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&data); err != nil {
		return nil, describeJSONError(err)
	}
	if _, err := decoder.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}

	if data.Version == 0 {
		return nil, fmt.Errorf(`the "version" field is missing, want %d`, dataVersion)
	}
	if data.Version != dataVersion {
		return nil, fmt.Errorf("unsupported version %d, want %d", data.Version, dataVersion)
	}
	if data.Secrets == nil {
		return nil, errors.New(`the "secrets" object is missing`)
	}
	return decodeSecrets(*data.Secrets)
}

func decodeSecrets(encoded map[string]string) (map[string][]byte, error) {
	secrets := make(map[string][]byte, len(encoded))
	for name, value := range encoded {
		if !isValidName(name) {
			return nil, fmt.Errorf("a secret name of %d bytes breaks the naming rule (1 to %d characters from a-z, 0-9, '.', '_' and '-')",
				len(name), MaxNameLength)
		}

		secret, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return nil, fmt.Errorf("the value of secret %q is not valid standard base64", name)
		}
		secrets[name] = secret
	}
	return secrets, nil
}

// describeJSONError turns an error from encoding/json into a message that
// gives positions and types only. The messages of encoding/json can quote a
// character or a key of the input, which could belong to a secret.
func describeJSONError(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError

	switch {
	case errors.Is(err, io.EOF):
		return errors.New("the data is empty, want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the JSON data ends early")
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("invalid JSON at byte offset %d", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		// Value is "number 12" for numbers: keep only the type word.
		found, _, _ := strings.Cut(typeErr.Value, " ")
		return fmt.Errorf("a JSON %s at byte offset %d where %s is expected",
			found, typeErr.Offset, describeGoType(typeErr.Type))
	default:
		// Unknown fields land here: their message would quote the key.
		return errors.New(`invalid JSON layout, want {"version": 1, "secrets": {NAME: BASE64, ...}} and no other fields`)
	}
}

func describeGoType(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil:
		return "another type"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Int:
		return "an integer"
	case t.Kind() == reflect.Map || t.Kind() == reflect.Struct:
		return "an object"
	default:
		return "another type"
	}
}
