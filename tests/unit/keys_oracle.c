/*
 * keys_oracle.c - print the IKEv1 pre-shared-key derivations of ike/keys.c for inputs
 * given in hex, so a script can compare them with another implementation
 * (tests/integration/kdf_oracle.sh runs Libreswan's cavp beside it).
 *
 * usage: keys_oracle HASH PSKHEX NIHEX NRHEX GXYHEX CKYIHEX CKYRHEX
 *   HASH is MD5, SHA-1, SHA-256, SHA-384 or SHA-512 (cavp's -hashAlg names); PSKHEX "-"
 *   derives for signature authentication, SKEYID = prf(Ni_b | Nr_b, g^xy) (cavp -v1dsa).
 * output, lowercase hex, one value a line, the layout of cavp's own lines:
 *   SKEYID = ...
 *   SKEYID_d = ...
 *   SKEYID_a = ...
 *   SKEYID_e = ...
 * exit 0 on success, 2 on bad usage, 1 when a derivation fails.
 *
 * A test tool: it prints key material by design, and takes the key on its command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike.h"
#include "ike/keys.h"

#define ARG_MAX_BYTES 1024 /* larger than any g^xy (MODP-8192) */

struct hash_name {
	const char *name;
	uint16_t id;
};

static const struct hash_name hash_names[] = {
    {"MD5", IKE_HASH_MD5},          {"SHA-1", IKE_HASH_SHA1},       {"SHA-256", IKE_HASH_SHA2_256},
    {"SHA-384", IKE_HASH_SHA2_384}, {"SHA-512", IKE_HASH_SHA2_512},
};

static uint16_t hash_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(hash_names) / sizeof(hash_names[0]); i++) {
		if (strcmp(hash_names[i].name, s) == 0)
			return hash_names[i].id;
	}
	return IKE_HASH_NONE;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex into buf; the byte count, or -1 on odd length, bad digit or overflow. */
static long unhex(const char *hex, uint8_t *buf, size_t max)
{
	size_t len = strlen(hex), i;
	int hi, lo;

	if (len % 2 != 0 || len / 2 > max)
		return -1;
	for (i = 0; i < len / 2; i++) {
		hi = hexval(hex[2 * i]);
		lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(len / 2);
}

static void print_hex(const char *label, const uint8_t *p, size_t len)
{
	size_t i;

	printf("%s = ", label);
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

struct oracle_in {
	uint8_t psk[ARG_MAX_BYTES], ni[ARG_MAX_BYTES], nr[ARG_MAX_BYTES], gxy[ARG_MAX_BYTES];
	uint8_t ci[8], cr[8];
	long psk_len, ni_len, nr_len, gxy_len;
};

static int args_parse(char **argv, struct oracle_in *in)
{
	in->psk_len = strcmp(argv[2], "-") == 0 ? 0 : unhex(argv[2], in->psk, sizeof(in->psk));
	in->ni_len = unhex(argv[3], in->ni, sizeof(in->ni));
	in->nr_len = unhex(argv[4], in->nr, sizeof(in->nr));
	in->gxy_len = unhex(argv[5], in->gxy, sizeof(in->gxy));
	if (in->psk_len < 0 || in->ni_len < 0 || in->nr_len < 0 || in->gxy_len < 0)
		return -1;
	if (unhex(argv[6], in->ci, sizeof(in->ci)) != 8 ||
	    unhex(argv[7], in->cr, sizeof(in->cr)) != 8)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct oracle_in in;
	struct ike_p1_keys k;
	int ret = 0;

	memset(&k, 0, sizeof(k));
	if (argc != 8 || (k.hash = hash_parse(argv[1])) == IKE_HASH_NONE ||
	    args_parse(argv, &in) != 0) {
		fprintf(stderr, "usage: keys_oracle MD5|SHA-1|SHA-256|SHA-384|SHA-512 PSKHEX NIHEX "
		                "NRHEX GXYHEX CKYIHEX CKYRHEX\n");
		return 2;
	}
	/* Cipher and public values only feed the key and IV, which are not printed. */
	k.encr = IKE_ENCR_AES_CBC;
	if ((strcmp(argv[2], "-") == 0
	         ? ike_skeyid_sig(k.hash, in.ni, (size_t)in.ni_len, in.nr, (size_t)in.nr_len,
	                          in.gxy, (size_t)in.gxy_len, k.skeyid)
	         : ike_skeyid_psk(k.hash, in.psk, (size_t)in.psk_len, in.ni, (size_t)in.ni_len,
	                          in.nr, (size_t)in.nr_len, k.skeyid)) != 0 ||
	    ike_p1_keys_derive(&k, 0, in.gxy, (size_t)in.gxy_len, in.ci, in.cr, in.gxy,
	                       (size_t)in.gxy_len, in.gxy, (size_t)in.gxy_len) != 0) {
		fprintf(stderr, "keys_oracle: derivation failed\n");
		ret = 1;
		goto done;
	}
	print_hex("SKEYID", k.skeyid, k.prf_len);
	print_hex("SKEYID_d", k.skeyid_d, k.prf_len);
	print_hex("SKEYID_a", k.skeyid_a, k.prf_len);
	print_hex("SKEYID_e", k.skeyid_e, k.prf_len);
done:
	ike_p1_keys_wipe(&k);
	OPENSSL_cleanse(&in, sizeof(in));
	return ret;
}
