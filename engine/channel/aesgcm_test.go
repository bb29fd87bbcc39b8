package channel

import (
	"bytes"
	"testing"

	"github.com/flynn/noise"
)

// TestAESGCMMatchesNoise checks our allocation-free AESGCM against the
// noise package's own, for the same key, nonces and data, in both
// directions, including the rekey nonce 2^64-1.
func TestAESGCMMatchesNoise(t *testing.T) {
	key := [32]byte{9, 8, 7}
	ours := cipherAESGCM.Cipher(key)
	reference := noise.CipherAESGCM.Cipher(key)
	if cipherAESGCM.CipherName() != noise.CipherAESGCM.CipherName() {
		t.Fatalf("cipher name %q, want %q", cipherAESGCM.CipherName(), noise.CipherAESGCM.CipherName())
	}

	for _, n := range []uint64{0, 1, 255, 1 << 32, 1<<64 - 1} {
		plain := []byte("frame payload")
		ad := []byte{byte(n)}
		got := ours.Encrypt(nil, n, ad, plain)
		want := reference.Encrypt(nil, n, ad, plain)
		if !bytes.Equal(got, want) {
			t.Errorf("nonce %d: ciphertext %x, want %x", n, got, want)
		}

		opened, err := reference.Decrypt(nil, n, ad, got)
		if err != nil || !bytes.Equal(opened, plain) {
			t.Errorf("nonce %d: the noise package cannot open our ciphertext: %v", n, err)
		}
		if _, err := ours.Decrypt(nil, n+1, ad, want); err == nil {
			t.Errorf("nonce %d: opened a ciphertext under the wrong nonce", n)
		}
	}
}
