// Package pdfcrypt encrypts a PDF with a password (AES-256, PDF 2.0
// security handler revision 6), so that a phone's own PDF reader opens the
// record copy offline with the key card's key.
package pdfcrypt

import "io"

// Encrypt returns pdf encrypted with password, drawing its keys and salts
// from rand.
func Encrypt(pdf []byte, password string, rand io.Reader) ([]byte, error) {
	// TODO(pdfcrypt branch): this placeholder returns pdf unencrypted; the
	// pdfcrypt branch replaces this file with the AES-256 encryption.
	_, _ = password, rand
	return pdf, nil
}
