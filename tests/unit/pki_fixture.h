/*
 * pki_fixture.h - certificates for the unit tests, made with OpenSSL's API: keys (RSA
 * 2048, ECDSA on a named curve), certificates with chosen names, validity and issuer,
 * CRLs, and their PEM text.  Each helper fails the running check test on error.
 */
#ifndef TESTS_UNIT_PKI_FIXTURE_H
#define TESTS_UNIT_PKI_FIXTURE_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#define DAY (24L * 3600)

struct pki_cert {
	EVP_PKEY *key;
	X509 *x;
};

/*
 * A certificate "C=CH, O=ikemon test, CN=cn" for a new key of type ("rsa", "P-256",
 * "P-384"), valid from `from` to `to` seconds from now, signed by issuer (NULL: a
 * self-signed CA), with subjectAltName san (OpenSSL's syntax, "IP:192.0.2.1,DNS:gw";
 * NULL: none, and a CA when signed by an issuer), serial number serial.
 */
struct pki_cert make_cert(const char *type, const char *cn, const struct pki_cert *issuer,
                          long from, long to, const char *san, long serial);
void free_cert(struct pki_cert *c);

/* A CRL of ca, valid for a week, revoking serial (0: nothing). */
X509_CRL *make_crl(const struct pki_cert *ca, long serial);

/* PEM text (malloc'd, NUL-terminated) of a certificate, a private key (unencrypted),
 * a CRL. */
char *pem_cert(X509 *x);
char *pem_key(EVP_PKEY *k);
char *pem_crl(X509_CRL *crl);

#endif /* TESTS_UNIT_PKI_FIXTURE_H */
