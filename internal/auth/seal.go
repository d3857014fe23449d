package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// ErrUnsealed means sealed data could not be opened: another key, another
// binding, or tampered with.
var ErrUnsealed = errors.New("sealed data cannot be opened")

// Seal encrypts plaintext with AES-256-GCM under a key derived from secret
// for label, bound to aad. The secret is meant to live outside the
// database (a session cookie's token, of which only a hash is stored), so
// what is sealed with it and kept in the database cannot be read from the
// database alone.
func Seal(secret, label string, plaintext, aad []byte) ([]byte, error) {
	gcm, err := sealer(secret, label)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails on supported systems
	return gcm.Seal(nonce, nonce, plaintext, aad), nil
}

// Open reverses Seal, or returns ErrUnsealed.
func Open(secret, label string, sealed, aad []byte) ([]byte, error) {
	gcm, err := sealer(secret, label)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, ErrUnsealed
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], aad)
	if err != nil {
		return nil, ErrUnsealed
	}
	return plain, nil
}

func sealer(secret, label string) (cipher.AEAD, error) {
	if secret == "" {
		return nil, errors.New("seal: no secret")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(label))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
