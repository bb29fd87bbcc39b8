package channel

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"

	"github.com/flynn/noise"
)

// cipherAESGCM is Noise's AESGCM cipher function, the same construction as
// noise.CipherAESGCM (AES-256-GCM, nonce of four zero bytes and the 64-bit
// big-endian counter), but it keeps the nonce in the cipher instead of
// allocating one per frame. A cipher is used by one goroutine at a time:
// its CipherState belongs to the handshake, or to the locked send or
// receive half of a Conn.
var cipherAESGCM noise.CipherFunc = aesGCMFunc{}

type aesGCMFunc struct{}

func (aesGCMFunc) CipherName() string { return "AESGCM" }

func (aesGCMFunc) Cipher(k [32]byte) noise.Cipher {
	block, err := aes.NewCipher(k[:])
	if err != nil {
		panic("channel: internal error: AES-256 rejected a 32-byte key: " + err.Error())
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("channel: internal error: creating GCM: " + err.Error())
	}
	return &aesGCM{aead: aead}
}

type aesGCM struct {
	aead  cipher.AEAD
	nonce [12]byte
}

func (c *aesGCM) Encrypt(out []byte, n uint64, ad, plaintext []byte) []byte {
	binary.BigEndian.PutUint64(c.nonce[4:], n)
	return c.aead.Seal(out, c.nonce[:], plaintext, ad)
}

func (c *aesGCM) Decrypt(out []byte, n uint64, ad, ciphertext []byte) ([]byte, error) {
	binary.BigEndian.PutUint64(c.nonce[4:], n)
	return c.aead.Open(out, c.nonce[:], ciphertext, ad)
}
