/*
 * config_cert.h - the certificate keys of a [peer NAME] section (private to
 * agent/config.c):
 *
 *   auth = psk | rsa | ecdsa   the method; by default psk, or the key's when key is set
 *   cert = /path               our certificate (PEM or DER), intermediates after it
 *   key = /path                its private key, unencrypted; mode 600 (as psk files)
 *   ca = /path[, /path ...]    the CAs the peer's certificate must chain to
 *   crl = /path[, /path ...]   CRLs of those CAs (a CA without one is not checked)
 *   send_cert = always | ifasked | never
 *
 * The setters (named set_peer_*: config.c's key table lists them) keep the paths of the
 * section being read; at its end config_cert_check_peer() checks that the keys go
 * together and config_cert_load_peer() reads the files into the peer's credentials
 * (ike/cert.h).  Peers that name the same files share one set of credentials.
 */
#ifndef AGENT_CONFIG_CERT_H
#define AGENT_CONFIG_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "agent/config_parse.h"
#include "ike/peer.h"

#define CONFIG_CERT_PATH_MAX 1024
#define CONFIG_CERT_FILES    8 /* files of one ca or crl list */

/* The certificate settings of the section being read. */
struct config_cert_peer {
	char cert[CONFIG_CERT_PATH_MAX];
	char key[CONFIG_CERT_PATH_MAX];
	char ca[CONFIG_CERT_FILES][CONFIG_CERT_PATH_MAX];
	size_t n_ca;
	char crl[CONFIG_CERT_FILES][CONFIG_CERT_PATH_MAX];
	size_t n_crl;
	uint16_t auth; /* 0: not set; IKE_AUTH_PSK, IKE_AUTH_RSA_SIG, or CONFIG_AUTH_ECDSA */
};
#define CONFIG_AUTH_ECDSA 0xecd5 /* auth = ecdsa: any of ECDSA-256/384/521, from the key */

/* Credentials read during one load, by their files, to share among peers. */
struct config_cert_cached;

/* What one load keeps (in config.c's load state): zero it before the first section. */
struct config_cert_load {
	struct config_cert_peer peer;
	struct config_cert_cached *cache;
	size_t n_cache, cap_cache;
};

/* config.c gives these access to the load being read (the peer of the section, its
 * certificate settings). */
struct ike_peer_cfg *config_parsing_peer(const struct config_parser *ps);
struct config_cert_load *config_parsing_certs(const struct config_parser *ps);

/* Setters of config.c's key table. */
int set_peer_auth(struct config_parser *ps, char *val);
int set_peer_cert(struct config_parser *ps, char *val);
int set_peer_key(struct config_parser *ps, char *val);
int set_peer_ca(struct config_parser *ps, char *val);
int set_peer_crl(struct config_parser *ps, char *val);
int set_peer_send_cert(struct config_parser *ps, char *val);

/* A [peer] section starts: forget the last one's settings. */
void config_cert_begin_peer(struct config_cert_load *ld);
/* The keys of the section go together (psk or certificates).  0, or -1 (config_fail). */
int config_cert_check_peer(struct config_parser *ps);
/* Read the files into the peer's credentials (p->creds).  0, or -1 (config_fail).  The
 * last check of a section: nothing after it may fail, or the credentials would leak. */
int config_cert_load_peer(struct config_parser *ps);
/* The load is over (either way): the cache's references go. */
void config_cert_load_done(struct config_cert_load *ld);

/* Drop the peers' references to their credentials (ikemond_config_free). */
void config_cert_release(struct ike_peer_cfg *peers, size_t n);

#endif /* AGENT_CONFIG_CERT_H */
