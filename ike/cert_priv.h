/*
 * cert_priv.h - what cert.c (credentials) and cert_check.c (a peer's certificate, DNs)
 * share.  Private to those two files.
 */
#ifndef IKE_CERT_PRIV_H
#define IKE_CERT_PRIV_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert.h"

struct ike_creds {
	int refs;
	bool sealed; /* ike_creds_finish() passed */
	EVP_PKEY *key;
	uint16_t auth;
	X509 *own[IKE_CREDS_MAX_OWN];
	size_t n_own;
	X509 *ca[IKE_CREDS_MAX_CAS];
	size_t n_ca;
	X509_CRL *crl[IKE_CREDS_MAX_CRLS];
	size_t n_crl;
	X509_STORE *store; /* the CAs and CRLs, for ike_cert_verify() */
	/* encodings sent on the wire, made once */
	uint8_t *own_der[IKE_CREDS_MAX_OWN];
	size_t own_der_len[IKE_CREDS_MAX_OWN];
	uint8_t *ca_name_der[IKE_CREDS_MAX_CAS];
	size_t ca_name_der_len[IKE_CREDS_MAX_CAS];
	uint8_t *subject_der;
	size_t subject_der_len;
	struct ike_cert_info info[IKE_CREDS_MAX_OWN + IKE_CREDS_MAX_CAS];
	size_t n_info;
	uint8_t fingerprint[32]; /* SHA-256 over own certs, public key, CAs */
};

struct ike_cert {
	X509 *x;
};

/* X509_NAME to text (ike_dn_to_text's format); 0, or -1 when cut. */
int ike_name_to_text(const X509_NAME *name, char *out, size_t cap);

/* Whether an identity (ID payload type and data) is in certificate x. */
bool ike_x509_has_id(X509 *x, uint8_t type, const uint8_t *data, size_t len);

/* A certificate's validity at time now: CERT_EXPIRED, CERT_NOT_YET_VALID or NONE. */
enum ike_cause ike_x509_time_check(const X509 *x, time_t now);

#endif /* IKE_CERT_PRIV_H */
